// Entry point: wires the modules, keeps the open room in the URL (#room=12) so a reload or a
// shared tab opens it again, and runs the sidebar as a drawer on narrow screens.

import { initAccount } from "./account.js";
import { abortTurn, initChat, resetComposer, status } from "./chat.js";
import { byId } from "./dom.js";
import { initRooms, markActiveRoom, openRoom, refreshRooms, showEmpty } from "./rooms.js";
import { state } from "./state.js";

const DRAWER = window.matchMedia("(max-width: 860px)");

function roomInUrl() {
  const match = /^#room=(\d{1,20})$/.exec(window.location.hash);
  return match ? match[1] : null;
}

async function route() {
  const roomId = roomInUrl();
  // Already on screen: the URL caught up with us, or hashchange and popstate both fired.
  if (roomId === state.roomId) return;
  abortTurn();
  resetComposer();
  state.photo = null;
  state.roomId = roomId;
  markActiveRoom();
  closeDrawer();
  if (roomId) await openRoom(roomId);
  else showEmpty();
}

function newChat() {
  // pushState, not a hash change to "#": the address stays clean and Back returns to the room.
  if (window.location.hash) window.history.pushState(null, "", window.location.pathname);
  state.roomId = "__new__"; // force route() to reset even when no room was open
  route();
  byId("composer-input").focus();
}

// ---- the drawer (phones) -------------------------------------------------------------------

function openDrawer() {
  if (!DRAWER.matches) return;
  document.body.classList.add("drawer-open");
  byId("drawer-toggle").setAttribute("aria-expanded", "true");
  byId("main").inert = true;
  byId("scrim").hidden = false;
  byId("new-chat").focus();
}

function closeDrawer() {
  if (!document.body.classList.contains("drawer-open")) return;
  document.body.classList.remove("drawer-open");
  byId("drawer-toggle").setAttribute("aria-expanded", "false");
  byId("main").inert = false;
  byId("scrim").hidden = true;
  byId("drawer-toggle").focus();
}

function initDrawer() {
  byId("drawer-toggle").addEventListener("click", () =>
    document.body.classList.contains("drawer-open") ? closeDrawer() : openDrawer(),
  );
  byId("scrim").addEventListener("click", closeDrawer);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeDrawer();
  });
  DRAWER.addEventListener("change", () => {
    if (!DRAWER.matches) closeDrawer();
  });
}

// A refused Kakao login comes back as /?login_error=<message for the person>.
function showLoginError() {
  const params = new URLSearchParams(window.location.search);
  const message = params.get("login_error");
  if (!message) return;
  status(message, { error: true });
  params.delete("login_error");
  const search = params.toString();
  window.history.replaceState(
    null,
    "",
    `${window.location.pathname}${search ? `?${search}` : ""}${window.location.hash}`,
  );
}

// ---- start ---------------------------------------------------------------------------------

initDrawer();
initRooms();
initChat({
  onRoom(roomId) {
    // The URL follows without a hashchange (the room is already on screen).
    window.history.replaceState(null, "", `#room=${roomId}`);
    refreshRooms();
  },
  onTurnEnd() {
    refreshRooms();
  },
});
byId("new-chat").addEventListener("click", newChat);
window.addEventListener("hashchange", route);
window.addEventListener("popstate", route);
initAccount();
refreshRooms();
route();
showLoginError();
document.documentElement.classList.add("is-ready");
