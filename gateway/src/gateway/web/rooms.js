// Past rooms in the sidebar, and opening one: its newest page first, older pages as the person
// scrolls up (keeping what they were reading in place).

import * as api from "./api.js";
import { announce, byId, h, shortDate } from "./dom.js";
import { EXPERTS } from "./experts.js";
import { notice, storedMessage } from "./messages.js";
import { state } from "./state.js";

const PAGE = 20;

let generation = 0; // bumps on every open: answers for a room no longer open are dropped
let cursor = null; // next_cursor of the oldest loaded page, while has_more
let loading = false;
let observer = null;

export function initRooms() {
  const scroller = byId("conversation");
  observer = new IntersectionObserver(
    (entries) => {
      if (entries.some((entry) => entry.isIntersecting)) loadOlder();
    },
    // Start fetching a little before the top is reached, so scrolling does not stall.
    { root: scroller, rootMargin: "400px 0px 0px 0px" },
  );
  observer.observe(byId("history-sentinel"));
  byId("older-button").addEventListener("click", () => loadOlder());
}

/** Re-reads the room list (newest first) and marks the open room. */
export async function refreshRooms() {
  const list = byId("room-list");
  let rooms;
  try {
    rooms = await api.roomHistory();
  } catch (error) {
    list.replaceChildren(
      h(
        "li",
        { class: "rooms__empty", role: "alert" },
        api.koreanMessage(error, "대화 목록을 불러오지 못했어요."),
      ),
    );
    return;
  }
  if (!rooms.length) {
    list.replaceChildren(h("li", { class: "rooms__empty" }, "아직 대화가 없어요."));
    return;
  }
  list.replaceChildren(
    ...rooms.map((room) =>
      h(
        "li",
        {},
        h(
          "a",
          {
            class: "room",
            href: `#room=${room.id}`,
            "data-room-id": room.id,
            "aria-current": String(room.id) === state.roomId ? "page" : null,
          },
          h("span", { class: "room__title" }, room.title || "새 대화"),
          h("time", { class: "room__date", datetime: room.created_at }, shortDate(room.created_at)),
        ),
      ),
    ),
  );
}

export function markActiveRoom() {
  for (const link of byId("room-list").querySelectorAll("a.room")) {
    if (link.dataset.roomId === state.roomId) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function setOlder({ visible, busy = false }) {
  const older = byId("older");
  older.hidden = !visible;
  older.classList.toggle("is-loading", busy);
  byId("older-button").disabled = busy;
}

/** Shows an empty conversation (a new chat). */
export function showEmpty() {
  generation += 1;
  cursor = null;
  loading = false;
  setOlder({ visible: false });
  byId("messages").replaceChildren();
  byId("welcome").hidden = false;
  state.historyPhotoUrl = null;
}

function rememberPhoto(messages, { newest }) {
  // The newest photo of the room is the one a try-on should start from.
  const photos = messages.filter((m) => m.message_type === "USER" && m.image_url);
  if (!photos.length) return;
  if (newest || !state.historyPhotoUrl) state.historyPhotoUrl = photos.at(-1).image_url;
}

const ORDER = new Map(EXPERTS.map((expert, index) => [expert.id, index]));

// A turn's answers are stored in the order they finished (the three specialists write at once);
// live they were shown in the panel's order. Sort each run of answers back into that order.
function inPanelOrder(messages) {
  const sorted = [];
  let run = [];
  const flush = () => {
    run.sort((a, b) => (ORDER.get(a.agent_type) ?? 99) - (ORDER.get(b.agent_type) ?? 99));
    sorted.push(...run);
    run = [];
  };
  for (const message of messages) {
    if (message.message_type === "USER") {
      flush();
      sorted.push(message);
    } else {
      run.push(message);
    }
  }
  flush();
  return sorted;
}

/** Opens a room: its newest page, scrolled to the end. */
export async function openRoom(roomId) {
  const mine = ++generation;
  cursor = null;
  loading = true;
  state.historyPhotoUrl = null;
  const list = byId("messages");
  const scroller = byId("conversation");
  byId("welcome").hidden = true;
  setOlder({ visible: false });
  list.replaceChildren(h("li", { class: "notice" }, "대화를 불러오는 중이에요…"));
  list.setAttribute("aria-busy", "true");
  try {
    const page = await api.roomMessages(roomId, { limit: PAGE });
    if (mine !== generation) return;
    list.replaceChildren(...inPanelOrder(page.messages).map(storedMessage));
    if (!page.messages.length) list.append(notice("아직 메시지가 없어요."));
    rememberPhoto(page.messages, { newest: true });
    cursor = page.has_more ? page.next_cursor : null;
    setOlder({ visible: Boolean(cursor) });
    scroller.scrollTop = scroller.scrollHeight;
    announce(`대화를 열었어요. 메시지 ${page.count}개.`);
    if (cursor) recheck();
  } catch (error) {
    if (mine !== generation) return;
    const message =
      error instanceof api.ApiError && error.status === 404
        ? "이 대화를 찾을 수 없어요. 지워졌거나 다른 사람의 대화예요. (404)"
        : api.koreanMessage(error, "대화를 불러오지 못했어요.");
    list.replaceChildren(notice(message, { error: true }));
    state.roomId = null; // what the person sends next starts a new room
    markActiveRoom();
  } finally {
    if (mine === generation) {
      loading = false;
      list.removeAttribute("aria-busy");
    }
  }
}

/** Prepends the next older page, keeping the visible messages where they are on screen. */
export async function loadOlder() {
  if (loading || !cursor || !state.roomId) return;
  const mine = generation;
  const roomId = state.roomId;
  loading = true;
  setOlder({ visible: true, busy: true });
  const scroller = byId("conversation");
  const list = byId("messages");
  try {
    const page = await api.roomMessages(roomId, { limit: PAGE, before: cursor });
    if (mine !== generation) return;
    // The distance from the bottom is kept across every change above the reader (the new
    // page, the loader line going away), so what they were reading does not move.
    const fromBottom = scroller.scrollHeight - scroller.scrollTop;
    list.prepend(...inPanelOrder(page.messages).map(storedMessage));
    cursor = page.has_more ? page.next_cursor : null;
    setOlder({ visible: Boolean(cursor) });
    scroller.scrollTop = scroller.scrollHeight - fromBottom;
    rememberPhoto(page.messages, { newest: false });
    announce(`이전 메시지 ${page.count}개를 불러왔어요.`);
  } catch (error) {
    if (mine !== generation) return;
    list.prepend(
      notice(api.koreanMessage(error, "이전 메시지를 불러오지 못했어요."), { error: true }),
    );
  } finally {
    if (mine === generation) {
      loading = false;
      setOlder({ visible: Boolean(cursor) });
      if (cursor) recheck();
    }
  }
}

// After a page lands the sentinel may still be in view (a tall screen, short messages):
// the observer would not fire again by itself, so look once more.
function recheck() {
  requestAnimationFrame(() => {
    const scroller = byId("conversation");
    const sentinel = byId("history-sentinel");
    const top = sentinel.getBoundingClientRect().bottom - scroller.getBoundingClientRect().top;
    if (top > -400) loadOlder();
  });
}
