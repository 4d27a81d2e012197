// Virtual try-on: pick the garments of a look (a top and/or a bottom), use the chat's photo or
// another one, start an async task, follow its progress, show the picture beside the photo.

import * as api from "./api.js";
import { announce, byId, h } from "./dom.js";
import { FULL_BODY_CATEGORIES, SLOT_OF_CATEGORY } from "./experts.js";
import { ACCEPT, checkPhoto, PhotoError, previewUrl } from "./photos.js";
import { chatPhoto } from "./state.js";

const POLL_MS = 700;
const SLOT_WORDS = { upper: "상의", lower: "하의" };
// Tops first, then dresses, then outer layers: a knit tried on reads better than a coat over
// nothing, and so does a dress.
const UPPER_ORDER = { TOP: 0, DRESS: 1, OUTER: 2 };
const DRESS_ALONE = "원피스는 하의 없이 입어 봐요.";
const STATUS_WORDS = {
  QUEUED: "순서를 기다리고 있어요…",
  PROCESSING: "옷을 입혀 보고 있어요…",
  COMPLETED: "다 입었어요!",
  FAILED: "입혀 보지 못했어요.",
};

let session = null; // the open dialog's AbortController and blob URLs

function close() {
  const dialog = byId("tryon-dialog");
  if (dialog.open) dialog.close();
}

function endSession() {
  if (!session) return;
  session.controller.abort();
  for (const url of session.urls) URL.revokeObjectURL(url);
  session = null;
}

function garmentLabel(info) {
  return h(
    "span",
    { class: "garment" },
    h("img", {
      class: "garment__img",
      src: info.image_url,
      alt: "",
      width: 56,
      height: 56,
      loading: "lazy",
    }),
    h(
      "span",
      { class: "garment__text" },
      h("span", { class: "garment__brand" }, info.brand_name),
      h("span", { class: "garment__name" }, info.product_name),
    ),
  );
}

/** One fieldset per slot: radio buttons for its candidates (+ "입지 않기" when both slots). */
function slotChooser(slot, candidates, optional) {
  const name = `tryon-${slot}`;
  const fieldset = h("fieldset", { class: "tryon__slot" }, h("legend", {}, SLOT_WORDS[slot]));
  candidates.forEach((info, index) => {
    const id = `${name}-${index}`;
    fieldset.append(
      h(
        "div",
        { class: "choice" },
        h("input", {
          type: "radio",
          name,
          id,
          value: info.product_id,
          checked: index === 0,
        }),
        h("label", { for: id }, garmentLabel(info)),
      ),
    );
  });
  if (optional) {
    const id = `${name}-none`;
    fieldset.append(
      h(
        "div",
        { class: "choice choice--none" },
        h("input", { type: "radio", name, id, value: "" }),
        h("label", { for: id }, `${SLOT_WORDS[slot]}는 입지 않기`),
      ),
    );
  }
  return fieldset;
}

function chosen(form, slot) {
  const picked = form.querySelector(`input[name="tryon-${slot}"]:checked`);
  if (picked) return picked.value;
  // A single candidate without a chooser.
  return form.querySelector(`input[type="hidden"][name="tryon-${slot}"]`)?.value ?? "";
}

/**
 * Opens the try-on dialog for `products` (catalog infos with main_category).
 * `opener` gets the focus back when the dialog closes.
 */
export function openTryOn({ products, title, opener }) {
  endSession();
  const dialog = byId("tryon-dialog");
  const controller = new AbortController();
  session = { controller, urls: [] };
  const mine = session;

  const bySlot = { upper: [], lower: [] };
  for (const info of products) {
    const slot = SLOT_OF_CATEGORY[info.main_category];
    if (slot && !bySlot[slot].some((p) => p.product_id === info.product_id)) {
      bySlot[slot].push(info);
    }
  }
  bySlot.upper.sort(
    (a, b) => (UPPER_ORDER[a.main_category] ?? 3) - (UPPER_ORDER[b.main_category] ?? 3),
  );
  const both = bySlot.upper.length > 0 && bySlot.lower.length > 0;
  const fullBody = new Set(
    bySlot.upper.filter((p) => FULL_BODY_CATEGORIES.has(p.main_category)).map((p) => p.product_id),
  );

  const form = h("form", { class: "tryon", method: "dialog", novalidate: true });
  const garments = h("div", { class: "tryon__garments" });
  for (const slot of ["upper", "lower"]) {
    const candidates = bySlot[slot];
    if (!candidates.length) continue;
    if (candidates.length === 1 && !both) {
      garments.append(
        h(
          "div",
          { class: "tryon__single" },
          h("p", { class: "tryon__label" }, SLOT_WORDS[slot]),
          garmentLabel(candidates[0]),
          h("input", { type: "hidden", name: `tryon-${slot}`, value: candidates[0].product_id }),
        ),
      );
    } else {
      garments.append(slotChooser(slot, candidates, both));
    }
  }

  // The photo: the one sent in this chat if any, else the person picks one.
  let photo = null; // {file} or {url}
  const photoPreview = h("div", { class: "tryon__photo" });
  // Hidden: the button below opens it (a styled, focusable control with a Korean name).
  const photoInput = h("input", {
    type: "file",
    accept: ACCEPT,
    id: "tryon-photo-input",
    hidden: true,
  });
  const pickButton = h(
    "button",
    { type: "button", class: "button button--ghost", "aria-describedby": "tryon-photo-hint" },
    "사진 고르기",
  );
  pickButton.addEventListener("click", () => photoInput.click());
  const errorBox = h("p", { class: "form-error", role: "alert" });
  const progress = h("progress", { max: 100, value: 0, "aria-label": "가상 피팅 진행률" });
  const progressText = h("p", { class: "tryon__progress-text" });
  const progressBox = h("div", { class: "tryon__progress", hidden: true }, progress, progressText);
  const result = h("div", { class: "tryon__result", hidden: true });
  const submit = h("button", { type: "submit", class: "button button--primary" }, "입어보기");
  const hd = h("input", { type: "checkbox", id: "tryon-hd" });

  function showPhoto(source, label) {
    photo = source;
    const picture = source.preview ?? source.url;
    photoPreview.replaceChildren(
      picture
        ? h("img", {
            class: "tryon__photo-img",
            src: picture,
            alt: label,
            width: 120,
            height: 150,
          })
        : h("span", { class: "tryon__photo-name" }, source.file?.name ?? ""),
      h("span", { class: "tryon__photo-label" }, label),
    );
    pickButton.textContent = "다른 사진 고르기";
  }

  const existing = chatPhoto();
  if (existing) {
    const preview = existing.file ? URL.createObjectURL(existing.file) : null;
    if (preview) mine.urls.push(preview);
    showPhoto({ file: existing.file, url: existing.url, preview }, "대화에 올린 사진");
  } else {
    photoPreview.append(h("span", { class: "tryon__photo-empty" }, "아직 고른 사진이 없어요"));
  }

  photoInput.addEventListener("change", async () => {
    const file = photoInput.files?.[0];
    photoInput.value = "";
    if (!file) return;
    errorBox.textContent = "";
    try {
      const type = await checkPhoto(file);
      const preview = await previewUrl(file, type);
      if (preview) mine.urls.push(preview);
      showPhoto({ file, preview }, "새로 고른 사진");
    } catch (error) {
      errorBox.textContent = error instanceof PhotoError ? error.message : "사진을 읽지 못했어요.";
    }
  });

  const closeButton = h(
    "button",
    { type: "button", class: "icon-button tryon__close", "aria-label": "가상 피팅 닫기" },
    "×",
  );
  closeButton.addEventListener("click", close);

  form.append(
    h("div", { class: "dialog__head" }, h("h2", { id: "tryon-title" }, title), closeButton),
    garments,
    h(
      "div",
      { class: "tryon__photo-row" },
      photoPreview,
      h(
        "div",
        {},
        pickButton,
        photoInput,
        h(
          "p",
          { class: "hint", id: "tryon-photo-hint" },
          "한 사람이 정면으로 선 사진이 좋아요. 상의는 상반신, 하의는 전신이 보여야 해요. 원피스는 전신 사진이면 치마까지 보여요. (JPEG·PNG·WebP·HEIC, 10MB 이하)",
        ),
      ),
    ),
    h(
      "div",
      { class: "check" },
      hd,
      h("label", { for: "tryon-hd" }, "고화질(HD)로 만들기 — 조금 더 걸려요"),
    ),
    errorBox,
    progressBox,
    result,
    h("div", { class: "dialog__actions" }, submit),
  );

  // A dress covers the lower slot: while one is picked, no bottom can be.
  const dressNote = h("p", { class: "hint", hidden: true }, DRESS_ALONE);
  garments.append(dressNote);
  function followUpper() {
    const dress = fullBody.has(chosen(form, "upper"));
    dressNote.hidden = !dress;
    for (const input of form.querySelectorAll('input[name="tryon-lower"]')) {
      if (input.type !== "radio") continue;
      input.disabled = dress && input.value !== "";
      if (dress && input.value === "") input.checked = true;
    }
  }
  form.addEventListener("change", (event) => {
    if (event.target.name === "tryon-upper") followUpper();
  });
  followUpper();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errorBox.textContent = "";
    const upper = chosen(form, "upper");
    const lower = fullBody.has(upper) ? "" : chosen(form, "lower");
    if (!upper && !lower) {
      errorBox.textContent = "입어 볼 옷을 하나 이상 골라 주세요.";
      return;
    }
    if (!photo) {
      errorBox.textContent = "입어 볼 사진을 먼저 골라 주세요.";
      pickButton.focus();
      return;
    }
    submit.disabled = true;
    result.hidden = true;
    progressBox.hidden = false;
    progress.value = 0;
    progressText.textContent = "사진을 보내는 중…";
    try {
      let file = photo.file;
      if (!file) {
        const blob = await api.fetchPicture(photo.url);
        file = new File([blob], "photo" + (blob.type === "image/png" ? ".png" : ".jpg"), {
          type: blob.type,
        });
      }
      let task = await api.startTryOn({
        photo: file,
        upperProductId: upper,
        lowerProductId: lower,
        hd: hd.checked,
      });
      task = await follow(task, { progress, progressText, signal: controller.signal });
      if (task.status !== "COMPLETED")
        throw new api.ApiError(422, task.error || "가상 피팅에 실패했어요.");
      await showResult(result, task, photo);
      progressBox.hidden = true;
      submit.textContent = "다시 입어보기";
      result.scrollIntoView({ block: "nearest", behavior: "smooth" });
      announce("가상 피팅이 끝났어요. 결과 사진을 저장할 수 있어요.");
    } catch (error) {
      if (error.name === "AbortError") return;
      progressBox.hidden = true;
      errorBox.textContent = api.koreanMessage(
        error,
        "가상 피팅에 실패했어요. 다시 시도해 주세요.",
      );
    } finally {
      submit.disabled = false;
    }
  });

  dialog.replaceChildren(form);
  dialog.setAttribute("aria-labelledby", "tryon-title");
  dialog.addEventListener(
    "close",
    () => {
      if (session === mine) endSession();
      opener?.focus();
    },
    { once: true },
  );
  dialog.showModal();
}

/** Polls the task until it completes or fails; network hiccups are retried a few times. */
async function follow(task, { progress, progressText, signal }) {
  let misses = 0;
  for (;;) {
    progress.value = task.status === "COMPLETED" ? 100 : (task.progress ?? 0);
    const words = STATUS_WORDS[task.status] ?? STATUS_WORDS.QUEUED;
    progressText.textContent =
      task.status === "PROCESSING" ? `${words} ${task.progress ?? 0}%` : words;
    if (task.status === "COMPLETED" || task.status === "FAILED") return task;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    if (signal.aborted) throw new DOMException("closed", "AbortError");
    try {
      task = await api.tryOnStatus(task.task_id, { signal });
      misses = 0;
    } catch (error) {
      if (error.name === "AbortError" || (error.status && error.status < 500)) throw error;
      misses += 1;
      if (misses > 5) throw error;
      progressText.textContent = "연결을 다시 확인하고 있어요…";
    }
  }
}

async function showResult(result, task, photo) {
  const picture = h("img", {
    class: "tryon__result-img",
    src: task.download_url,
    alt: "가상 피팅 결과",
    width: 512,
    height: 512,
  });
  await new Promise((resolve, reject) => {
    picture.addEventListener("load", resolve, { once: true });
    picture.addEventListener("error", () => reject(new api.ApiError(502, "")), { once: true });
  });
  const mine = photo.preview ?? photo.url;
  result.replaceChildren(
    h(
      "div",
      { class: "tryon__compare" },
      h(
        "figure",
        {},
        mine
          ? h("img", { src: mine, alt: "내 사진", width: 512, height: 512, class: "tryon__before" })
          : h("div", { class: "tryon__before tryon__before--none" }, "내 사진"),
        h("figcaption", {}, "내 사진"),
      ),
      h("figure", {}, picture, h("figcaption", {}, "입어 본 모습")),
    ),
    h(
      "a",
      {
        class: "button button--ghost",
        href: task.download_url,
        download: `thefirsttake-${task.task_id}.jpg`,
      },
      "결과 사진 저장하기",
    ),
  );
  result.hidden = false;
}
