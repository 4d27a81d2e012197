// Who is here (a guest until Kakao login), and the profile the stylist remembers.
// No login reads as "guest"; a profile API that is not there (404) reads "준비 중".

import * as api from "./api.js";
import { byId, h } from "./dom.js";

export async function initAccount() {
  for (const button of document.querySelectorAll(".profile-open")) {
    button.addEventListener("click", () => openProfile(button));
  }
  const box = byId("account");
  let person = null;
  try {
    person = await api.me();
  } catch {
    person = null; // the session cannot be read now: carry on as a guest
  }
  if (person && !person.is_guest) {
    const name = person.nickname || "회원";
    const avatar = person.profile_image
      ? h("img", {
          class: "account__avatar",
          src: person.profile_image,
          alt: "",
          width: 32,
          height: 32,
          referrerpolicy: "no-referrer",
        })
      : h(
          "span",
          { class: "account__avatar account__avatar--initial", "aria-hidden": "true" },
          name[0],
        );
    avatar.addEventListener("error", () => avatar.replaceWith(initialAvatar(name)));
    const logout = h(
      "button",
      { type: "button", class: "button button--ghost button--small" },
      "로그아웃",
    );
    logout.addEventListener("click", async () => {
      logout.disabled = true;
      try {
        await api.logout();
      } catch {
        // Whatever the answer, reloading shows the state the server now has.
      }
      window.location.reload();
    });
    box.replaceChildren(avatar, h("span", { class: "account__name" }, `${name}님`), logout);
  } else {
    box.replaceChildren(
      h("span", { class: "account__guest" }, "게스트"),
      h(
        "a",
        { class: "button button--kakao button--small", href: api.kakaoLoginUrl() },
        "카카오 로그인",
      ),
    );
  }
}

function initialAvatar(name) {
  return h(
    "span",
    { class: "account__avatar account__avatar--initial", "aria-hidden": "true" },
    name[0],
  );
}

const FIELDS = [
  {
    name: "gender",
    label: "성별",
    kind: "select",
    options: [
      ["", "선택 안 함"],
      ["WOMEN", "여성"],
      ["MEN", "남성"],
    ],
  },
  { name: "height", label: "키 (cm)", kind: "number", min: 100, max: 230 },
  { name: "body_type", label: "체형", kind: "text", placeholder: "예) 어깨가 넓은 편, 마른 체형" },
  { name: "skin_tone", label: "피부톤", kind: "text", placeholder: "예) 여름 쿨톤" },
  { name: "likes", label: "좋아하는 것", kind: "list", placeholder: "쉼표로 구분: 네이비, 니트" },
  {
    name: "dislikes",
    label: "피하고 싶은 것",
    kind: "list",
    placeholder: "쉼표로 구분: 형광색, 크롭",
  },
  { name: "budget", label: "한 벌 예산 (원)", kind: "number", min: 0, step: 10000 },
];

function field(spec, value) {
  const id = `profile-${spec.name}`;
  let input;
  if (spec.kind === "select") {
    input = h(
      "select",
      { id, name: spec.name },
      ...spec.options.map(([v, label]) =>
        h("option", { value: v, selected: (value ?? "") === v }, label),
      ),
    );
  } else {
    const shown = Array.isArray(value) ? value.join(", ") : (value ?? "");
    input = h("input", {
      id,
      name: spec.name,
      type: spec.kind === "number" ? "number" : "text",
      inputmode: spec.kind === "number" ? "numeric" : null,
      min: spec.min,
      max: spec.max,
      step: spec.step,
      placeholder: spec.placeholder,
      value: shown,
    });
  }
  return h("div", { class: "field" }, h("label", { for: id }, spec.label), input);
}

function readForm(form) {
  const data = new FormData(form);
  const profile = {};
  for (const spec of FIELDS) {
    const raw = String(data.get(spec.name) ?? "").trim();
    if (spec.kind === "number") profile[spec.name] = raw ? Number(raw) : null;
    else if (spec.kind === "list")
      profile[spec.name] = raw ? raw.split(/\s*,\s*/).filter(Boolean) : [];
    else profile[spec.name] = raw || null;
  }
  return profile;
}

async function openProfile(opener) {
  const dialog = byId("profile-dialog");
  const closeButton = h(
    "button",
    { type: "button", class: "icon-button", "aria-label": "프로필 닫기" },
    "×",
  );
  closeButton.addEventListener("click", () => dialog.close());
  const body = h(
    "div",
    { class: "profile__body" },
    h("p", { class: "hint" }, "불러오는 중이에요…"),
  );
  dialog.replaceChildren(
    h(
      "div",
      { class: "profile" },
      h(
        "div",
        { class: "dialog__head" },
        h("h2", { id: "profile-title" }, "내 스타일 프로필"),
        closeButton,
      ),
      h(
        "p",
        { class: "hint" },
        "스타일리스트가 대화에서 기억한 내용이에요. 고치거나 지울 수 있어요.",
      ),
      body,
    ),
  );
  dialog.setAttribute("aria-labelledby", "profile-title");
  dialog.addEventListener("close", () => opener.focus(), { once: true });
  dialog.showModal();

  let profile;
  try {
    profile = await api.getProfile();
  } catch (error) {
    if (error instanceof api.ApiError && [404, 501].includes(error.status)) {
      body.replaceChildren(
        h("p", { class: "profile__soon" }, "준비 중"),
        h(
          "p",
          { class: "hint" },
          "프로필 보기와 고치기는 곧 열려요. 지금은 대화에서 키, 체형, 좋아하는 색을 말해 주시면 스타일리스트가 기억해요.",
        ),
      );
    } else {
      body.replaceChildren(
        h("p", { class: "form-error", role: "alert" }, api.koreanMessage(error)),
      );
    }
    return;
  }
  const form = h(
    "form",
    { class: "profile__form", novalidate: true },
    ...FIELDS.map((spec) => field(spec, profile[spec.name])),
  );
  const message = h("p", { class: "form-status", role: "status" });
  const save = h("button", { type: "submit", class: "button button--primary" }, "저장하기");
  const remove = h("button", { type: "button", class: "button button--danger" }, "기억 지우기");
  form.append(message, h("div", { class: "dialog__actions" }, remove, save));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    save.disabled = true;
    try {
      await api.saveProfile(readForm(form));
      message.textContent = "저장했어요.";
    } catch (error) {
      message.textContent = api.koreanMessage(error, "저장하지 못했어요.");
    } finally {
      save.disabled = false;
    }
  });
  let armed = false;
  remove.addEventListener("click", async () => {
    // Two presses: forgetting everything should not happen by a stray click.
    if (!armed) {
      armed = true;
      remove.textContent = "정말 지울까요? 한 번 더 누르세요";
      return;
    }
    remove.disabled = true;
    try {
      await api.deleteProfile();
      for (const input of form.querySelectorAll("input")) input.value = "";
      for (const select of form.querySelectorAll("select")) select.value = "";
      message.textContent = "기억한 내용을 모두 지웠어요.";
    } catch (error) {
      message.textContent = api.koreanMessage(error, "지우지 못했어요.");
    } finally {
      armed = false;
      remove.disabled = false;
      remove.textContent = "기억 지우기";
    }
  });
  body.replaceChildren(form);
}
