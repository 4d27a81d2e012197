// The composer and the live turn: photo attach (checked before upload), upload, the SSE stream
// into one card per expert, reconnects, errors, stop.

import * as api from "./api.js";
import { announce, byId, h } from "./dom.js";
import { EXPERTS } from "./experts.js";
import { expertCard, notice, userMessage } from "./messages.js";
import { checkPhoto, PhotoError, previewUrl } from "./photos.js";
import { state } from "./state.js";
import { runTurn } from "./stream.js";

const MAX_INPUT = 2000;

let hooks = { onRoom: () => {}, onTurnEnd: () => {} };
let attachment = null; // {file, type, preview}
let current = null; // the running turn's AbortController

const el = {};

export function initChat(options) {
  hooks = { ...hooks, ...options };
  for (const id of [
    "composer",
    "composer-input",
    "composer-error",
    "composer-count",
    "send-button",
    "stop-button",
    "attach-button",
    "photo-input",
    "attachment",
    "messages",
    "turn-status",
    "welcome",
    "expert-choices",
  ]) {
    el[id] = byId(id);
  }
  // The placeholder's lines count on narrow screens, and they change when the font arrives.
  fitHeight();
  document.fonts.ready.then(fitHeight);
  window.addEventListener("resize", fitHeight);
  el.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  el["composer-input"].addEventListener("keydown", (event) => {
    // Enter sends, Shift+Enter breaks the line; never while a Korean syllable is being composed.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      send();
    }
  });
  el["composer-input"].addEventListener("input", () => {
    const length = el["composer-input"].value.length;
    el["composer-count"].textContent = length > MAX_INPUT * 0.8 ? `${length}/${MAX_INPUT}` : "";
    fitHeight();
  });
  el["attach-button"].addEventListener("click", () => el["photo-input"].click());
  el["photo-input"].addEventListener("change", () => {
    const file = el["photo-input"].files?.[0];
    el["photo-input"].value = ""; // the same file picked again fires change again
    if (file) attach(file);
  });
  el["stop-button"].addEventListener("click", () => current?.abort());
  for (const chip of document.querySelectorAll("[data-example]")) {
    chip.addEventListener("click", () => {
      el["composer-input"].value = chip.dataset.example;
      fitHeight();
      el["composer-input"].focus();
    });
  }
}

function fitHeight() {
  const input = el["composer-input"];
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, 200)}px`;
}

function showError(text) {
  el["composer-error"].textContent = text;
}

/** A line above the composer: the turn's progress, a reconnect, an error. */
export function status(text, { error = false } = {}) {
  const box = el["turn-status"];
  box.textContent = text;
  box.hidden = !text;
  box.classList.toggle("turn-status--error", error);
}

async function attach(file) {
  showError("");
  try {
    const type = await checkPhoto(file);
    const preview = await previewUrl(file, type);
    clearAttachment();
    attachment = { file, type, preview };
    const remove = h(
      "button",
      { type: "button", class: "icon-button attachment__remove", "aria-label": "첨부한 사진 빼기" },
      "×",
    );
    remove.addEventListener("click", () => {
      clearAttachment();
      el["attach-button"].focus();
    });
    el.attachment.replaceChildren(
      preview
        ? h("img", {
            class: "attachment__img",
            src: preview,
            alt: "첨부할 사진 미리보기",
            width: 56,
            height: 56,
          })
        : h(
            "span",
            { class: "attachment__img attachment__img--none", "aria-hidden": "true" },
            "HEIC",
          ),
      h(
        "span",
        { class: "attachment__name" },
        `${file.name} · ${(file.size / (1024 * 1024)).toFixed(1)}MB`,
      ),
      remove,
    );
    el.attachment.hidden = false;
  } catch (error) {
    showError(error instanceof PhotoError ? error.message : "사진을 읽지 못했어요.");
  }
}

function clearAttachment({ keepPreview = false } = {}) {
  if (attachment?.preview && !keepPreview) URL.revokeObjectURL(attachment.preview);
  attachment = null;
  el.attachment.replaceChildren();
  el.attachment.hidden = true;
}

function chosenExperts() {
  const boxes = [...el["expert-choices"].querySelectorAll("input[type=checkbox]")];
  const picked = boxes.filter((box) => box.checked).map((box) => box.value);
  if (!picked.length) return null;
  return picked;
}

function setBusy(busy) {
  el["send-button"].hidden = busy;
  el["stop-button"].hidden = !busy;
  el["attach-button"].disabled = busy;
  el.composer.classList.toggle("is-busy", busy);
}

/** Stops listening to the running turn (it still finishes and is stored server-side). */
export function abortTurn() {
  current?.abort();
}

export function isBusy() {
  return current !== null;
}

/** Empties the composer's transient state (a new chat, another room). */
export function resetComposer() {
  showError("");
  status("");
}

async function send() {
  if (current) return;
  const input = el["composer-input"];
  const text = input.value.trim();
  showError("");
  if (!text) {
    showError("어떤 자리에 입을 옷이 필요한지 적어 주세요.");
    input.focus();
    return;
  }
  if (text.length > MAX_INPUT) {
    showError(`${MAX_INPUT}자 이내로 적어 주세요.`);
    return;
  }
  const experts = chosenExperts();
  if (!experts) {
    showError("답변할 전문가를 한 명 이상 골라 주세요.");
    return;
  }
  performance.clearMarks("tft:send");
  performance.clearMarks("tft:first-text");
  performance.mark("tft:send");
  const controller = new AbortController();
  current = controller;
  setBusy(true);

  let imageUrl = "";
  const sentAttachment = attachment;
  if (sentAttachment) {
    status("사진을 올리는 중이에요…");
    try {
      imageUrl = await api.uploadImage(sentAttachment.file, { signal: controller.signal });
      state.photo = { file: sentAttachment.file, url: imageUrl };
    } catch (error) {
      current = null;
      setBusy(false);
      status("");
      if (error.name === "AbortError") return;
      showError(api.koreanMessage(error, "사진을 올리지 못했어요."));
      return;
    }
  }

  input.value = "";
  fitHeight();
  el["composer-count"].textContent = "";
  clearAttachment({ keepPreview: true });
  el.welcome.hidden = true;

  const list = el.messages;
  const mine = userMessage({ content: text, imageUrl, previewUrl: sentAttachment?.preview });
  list.append(mine);
  const cards = new Map();
  for (const expert of EXPERTS.filter((e) => experts.includes(e.id))) {
    const card = expertCard(expert.id, { live: true });
    cards.set(expert.id, card);
    list.append(card.element);
  }
  mine.scrollIntoView({ block: "start", behavior: "instant" });
  status("전문가들이 답변을 준비하고 있어요…");

  const cardFor = (payload) => {
    let card = cards.get(payload.agent_id);
    if (!card) {
      // An expert this page does not know yet still gets a card.
      card = expertCard(payload.agent_id, { live: true, agentName: payload.agent_name });
      cards.set(payload.agent_id, card);
      list.append(card.element);
    }
    return card;
  };

  let roomRefused = false;
  let textShown = false;
  try {
    await runTurn({
      roomId: state.roomId,
      userInput: text,
      imageUrl,
      experts: experts.length === EXPERTS.length ? "" : experts.join(","),
      signal: controller.signal,
      on: {
        event(name, payload) {
          if (name === "room") {
            state.roomId = String(payload.room_id);
            hooks.onRoom(state.roomId);
          } else if (name === "connect") {
            status("전문가들이 답변을 쓰고 있어요…");
          } else if (name === "content") {
            cardFor(payload).appendText(payload.message ?? "");
            if (!textShown) {
              textShown = true;
              firstText();
            }
          } else if (name === "complete") {
            cardFor(payload).complete(payload.message ?? "", payload.products ?? []);
          } else if (name === "error") {
            if (payload.agent_id) cardFor(payload).fail(payload.message);
            else status(payload.message || "답변 중에 문제가 생겼어요.", { error: true });
          } else if (name === "final_complete") {
            status("");
            announce("모든 전문가의 답변이 도착했어요.");
          }
        },
        reconnecting(attempt, max) {
          status(`연결이 끊겼어요. 다시 연결하는 중이에요… (${attempt}/${max})`, { error: true });
        },
        reconnected() {
          status("다시 연결됐어요. 이어서 받아요.");
        },
      },
    });
  } catch (error) {
    if (error.name === "AbortError") {
      for (const card of cards.values())
        card.interrupt("답변 받기를 멈췄어요. 이 대화를 다시 열면 저장된 답변을 볼 수 있어요.");
      status("");
    } else {
      const message = api.koreanMessage(error, "답변을 받지 못했어요. 잠시 후 다시 보내 주세요.");
      for (const card of cards.values()) card.interrupt("");
      status(message, { error: true });
      if (!cards.size || [...cards.values()].every((card) => !card.finished)) {
        // Nothing arrived: give the words back so sending again is one key away.
        input.value = text;
        fitHeight();
      }
      roomRefused = error instanceof api.ApiError && error.status === 404;
      if (roomRefused)
        list.append(
          notice("이 대화를 찾을 수 없어요. 새 대화로 다시 보내 주세요.", { error: true }),
        );
    }
  } finally {
    current = null;
    setBusy(false);
    if (roomRefused) state.roomId = null;
    hooks.onTurnEnd();
  }
}

function firstText() {
  performance.mark("tft:first-text");
  try {
    performance.measure("tft:send-to-first-text", "tft:send", "tft:first-text");
  } catch {
    // the send mark was cleared by a newer turn
  }
}
