// Every call the UI makes to the gateway's HTTP API, one function per endpoint (docs/http-api.md).
//
// Each request goes through `call(METHOD, PATH_TEMPLATE, …)` or, for URLs handed to the
// browser (a link, an image), `link(METHOD, PATH_TEMPLATE, …)`, with the path template
// written exactly as the OpenAPI schema spells it. gateway/tests/test_web_contract.py reads
// those two patterns out of this file and fails when a path or method is not in the schema,
// so keep the method and template as plain string literals.

export class ApiError extends Error {
  constructor(status, message, { retryAfter = null, data = null } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status; // 0: the request never got an answer (network, server down)
    this.retryAfter = retryAfter;
    this.data = data;
  }
}

const HANGUL = /[\uac00-\ud7a3]/;

// The gateway's messages for people are Korean; technical ones ("room not found") are English.
// A person gets the server's words when they are meant for them, otherwise ours.
export function koreanMessage(
  error,
  fallback = "요청을 처리하지 못했어요. 잠시 후 다시 시도해 주세요.",
) {
  if (!(error instanceof ApiError)) return fallback;
  if (error.status === 0) return "네트워크에 연결할 수 없어요. 연결을 확인해 주세요.";
  if (error.status === 429) {
    const wait = Number.parseInt(error.retryAfter ?? "", 10);
    return Number.isFinite(wait)
      ? `요청이 너무 많아요. ${wait}초 뒤에 다시 시도해 주세요.`
      : "요청이 너무 많아요. 잠시 뒤에 다시 시도해 주세요.";
  }
  if (HANGUL.test(error.message)) return error.message;
  if (error.status === 413) return "사진이 너무 커요. 10MB 이하로 올려 주세요.";
  if (error.status === 415)
    return "지원하지 않는 사진 형식이에요. JPEG, PNG, WebP 또는 HEIC 사진을 올려 주세요.";
  if (error.status === 404) return "찾을 수 없어요. 이미 지워졌거나 다른 사람의 것이에요.";
  if (error.status >= 500) return "서버에 잠시 문제가 있어요. 조금 뒤에 다시 시도해 주세요.";
  return fallback;
}

function fill(template, path = {}) {
  return template.replace(/\{(\w+)\}/g, (_, name) => {
    if (path[name] === undefined || path[name] === null) throw new Error(`${template}: ${name}?`);
    return encodeURIComponent(String(path[name]));
  });
}

// A URL of the API. `method` is not sent anywhere: it documents how the URL is used and lets
// the contract test check it.
function link(method, template, { path, query } = {}) {
  const url = fill(template, path);
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") params.set(name, String(value));
  }
  const search = params.toString();
  return search ? `${url}?${search}` : url;
}

// After a Kakao login the access cookie lives 15 minutes; past that, routes answer 401 and the
// refresh cookie buys a new one. Every request that meets a 401 shares one refresh, then is
// sent again once. A guest has nothing to refresh: the 401 stands.
let refreshing = null;

function refreshOnce() {
  refreshing ??= refreshSession()
    .catch(() => false)
    .finally(() => {
      setTimeout(() => {
        refreshing = null;
      }, 0);
    });
  return refreshing;
}

async function send(url, init, { retry }) {
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, String(error.message ?? error));
  }
  if (response.status === 401 && retry && (await refreshOnce())) {
    return send(url, init, { retry: false });
  }
  return response;
}

async function failure(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null; // an empty or non-JSON answer (a proxy's error page)
  }
  return new ApiError(response.status, body?.message ?? response.statusText, {
    retryAfter: response.headers.get("Retry-After"),
    data: body?.data ?? null,
  });
}

async function call(method, template, { path, query, json, form, signal, retry = true } = {}) {
  const init = {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json" },
    signal,
  };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  } else if (form !== undefined) {
    init.body = form; // the browser sets the multipart boundary
  }
  const response = await send(link(method, template, { path, query }), init, { retry });
  if (!response.ok) throw await failure(response);
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  return { status: response.status, data: body?.data ?? null, message: body?.message ?? "" };
}

// ---- chat ----------------------------------------------------------------------------------

export async function roomHistory() {
  const { data } = await call("GET", "/api/chat/rooms/history");
  return data?.all_rooms ?? [];
}

/** One page of a room: {messages (ascending), has_more, next_cursor, count}. */
export async function roomMessages(roomId, { limit = 20, before = "" } = {}) {
  const { data } = await call("GET", "/api/chat/rooms/{room_id}/messages", {
    path: { room_id: roomId },
    query: { limit, before },
  });
  return data;
}

/**
 * Opens a turn's SSE stream and returns the Response (its body is read by stream.js).
 * Without a room the gateway creates one and says so in a first `room` event. With
 * `lastEventId` the gateway resumes the same turn after that event instead of starting one.
 */
export async function openTurnStream({
  roomId,
  userInput,
  imageUrl,
  experts,
  lastEventId,
  signal,
}) {
  const query = { user_input: userInput, image_url: imageUrl, experts };
  const url = roomId
    ? link("GET", "/api/chat/rooms/{room_id}/messages/stream", { path: { room_id: roomId }, query })
    : link("GET", "/api/chat/rooms/messages/stream", { query });
  const headers = { Accept: "text/event-stream" };
  if (lastEventId) headers["Last-Event-ID"] = lastEventId;
  const init = { credentials: "same-origin", headers, signal, cache: "no-store" };
  const response = await send(url, init, { retry: true });
  const type = response.headers.get("Content-Type") ?? "";
  if (!response.ok) throw await failure(response);
  if (!type.startsWith("text/event-stream")) throw new ApiError(502, "not an event stream");
  return response;
}

/** Uploads a chat photo (JPEG, PNG, WebP or HEIC); resolves to its private URL, which only
 * this person's cookies can load. */
export async function uploadImage(file, { signal } = {}) {
  const form = new FormData();
  form.append("file", file, file.name || "photo");
  const { data } = await call("POST", "/api/chat/upload", { form, signal });
  return data;
}

const products = new Map();

/** Product details (cached for the page's life: the catalog does not change under a person). */
export function product(productId) {
  if (!products.has(productId)) {
    const request = call("GET", "/api/chat/product/{product_id}", {
      path: { product_id: productId },
    }).then(({ data }) => data);
    request.catch(() => products.delete(productId)); // let a later card try again
    products.set(productId, request);
  }
  return products.get(productId);
}

// ---- fitting -------------------------------------------------------------------------------

/** Starts a try-on task (answers 202 at once); resolves to the task data. */
export async function startTryOn({ photo, upperProductId, lowerProductId, hd }) {
  const form = new FormData();
  form.append("model_image", photo, photo.name || "photo.jpg");
  if (upperProductId) form.append("upper_product_id", upperProductId);
  if (lowerProductId) form.append("lower_product_id", lowerProductId);
  form.append("hd_mode", hd ? "true" : "false");
  const query = { async: "true" };
  const answer =
    upperProductId && lowerProductId
      ? await call("POST", "/api/fitting/try-on/combo", { form, query })
      : await call("POST", "/api/fitting/try-on", { form, query });
  return answer.data;
}

/** {task_id, status: QUEUED|PROCESSING|COMPLETED|FAILED, progress, download_url, error}. */
export async function tryOnStatus(taskId, { signal } = {}) {
  const { data } = await call("GET", "/api/fitting/status/{task_id}", {
    path: { task_id: taskId },
    signal,
  });
  return data;
}

/** The same picture through the gateway's allow-listed image proxy (for hosts the CSP blocks). */
export function proxiedImageUrl(imageUrl) {
  return link("GET", "/api/fitting/proxy-image", { query: { imageUrl } });
}

// ---- account and profile (Kakao login, and the stylist's memory of the person) ------------
// A gateway without the auth routes answers 404: that reads as "guest".

export function kakaoLoginUrl() {
  return link("GET", "/api/auth/kakao/login");
}

/** The signed-in person {user_id, nickname, profile_image, is_guest}, or null for a guest. */
export async function me() {
  try {
    return (await call("GET", "/api/auth/me")).data;
  } catch (error) {
    // 401: no identity yet, or a login that could not be refreshed; 404: no auth routes.
    if (error instanceof ApiError && [401, 403, 404].includes(error.status)) return null;
    throw error;
  }
}

/** Rotates the login's tokens; false when there is no login to refresh (a guest). */
export async function refreshSession() {
  try {
    await call("POST", "/api/auth/refresh", { retry: false });
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status < 500) return false;
    throw error;
  }
}

export async function logout() {
  await call("POST", "/api/auth/logout");
}

/** What the stylist remembers: {gender, height, body_type, skin_tone, likes, dislikes, budget}. */
export async function getProfile() {
  const { data } = await call("GET", "/api/profile");
  return data ?? {};
}

export async function saveProfile(profile) {
  const { data } = await call("PUT", "/api/profile", { json: profile });
  return data ?? profile;
}

export async function deleteProfile() {
  await call("DELETE", "/api/profile");
}

// ---- a picture URL the API handed out ----------------------------------------------------

/** An earlier chat photo (its private upload URL) as a Blob, so a try-on can reuse it. */
export async function fetchPicture(url) {
  const response = await send(url, { credentials: "same-origin" }, { retry: true });
  if (!response.ok) throw new ApiError(response.status, response.statusText);
  return response.blob();
}
