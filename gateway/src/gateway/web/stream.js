// A turn's Server-Sent Events over fetch, with resumption.
//
// fetch (not EventSource) so a refusal shows the gateway's real answer (429 with Retry-After,
// 404 for someone else's room, 400) instead of an opaque "error", and so a dropped connection
// is resumed by us with `Last-Event-ID`: the gateway then replays the same turn after that
// event (the turn keeps running server-side whether or not anyone listens).

import { ApiError, openTurnStream } from "./api.js";

// The gateway sends a heartbeat comment every 15 s; this much silence means a dead connection.
const SILENCE_MS = 40_000;
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 8000];

class Dropped extends Error {}

/** Parses an SSE body, calling onEvent({event, id, data}) per event; ends with the body. */
async function readEvents(body, onEvent, onActivity) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let name = "message";
  let data = [];
  let id = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      onActivity();
      buffer += value;
      const lines = buffer.split(/\r\n|\r|\n/);
      buffer = lines.pop(); // an incomplete last line waits for the next chunk
      for (const line of lines) {
        if (line === "") {
          if (data.length) onEvent({ event: name, id, data: data.join("\n") });
          name = "message";
          data = [];
          continue;
        }
        if (line.startsWith(":")) continue; // heartbeat comment
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let text = colon < 0 ? "" : line.slice(colon + 1);
        if (text.startsWith(" ")) text = text.slice(1);
        if (field === "event") name = text;
        else if (field === "data") data.push(text);
        else if (field === "id") id = text;
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(new DOMException("aborted", "AbortError"));
      },
      { once: true },
    );
  });
}

function online(signal) {
  if (navigator.onLine) return Promise.resolve();
  return new Promise((resolve) => {
    window.addEventListener("online", resolve, { once: true });
    signal.addEventListener("abort", resolve, { once: true });
  });
}

/**
 * Runs one turn to its end.
 * on.event(name, payload) for each event (payload = the envelope's `data`);
 * on.reconnecting(attempt, max), on.reconnected() around a resume.
 * Resolves after `final_complete`; rejects with ApiError when the turn cannot go on, or with
 * an AbortError when `signal` aborts (the turn itself keeps running on the server).
 */
export async function runTurn({ roomId, userInput, imageUrl, experts, signal, on }) {
  let lastEventId = "";
  const seen = new Set();
  let failures = 0;
  for (;;) {
    const connection = new AbortController();
    const stop = () => connection.abort();
    signal.addEventListener("abort", stop, { once: true });
    let watchdog = 0;
    const alive = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(stop, SILENCE_MS);
    };
    let finished = false;
    try {
      alive();
      const response = await openTurnStream({
        roomId,
        userInput,
        imageUrl,
        experts,
        lastEventId,
        signal: connection.signal,
      });
      if (failures > 0) on.reconnected();
      failures = 0;
      await readEvents(
        response.body,
        ({ event, id, data }) => {
          if (finished) return;
          if (id) {
            if (seen.has(id)) return; // a replayed event after a resume
            seen.add(id);
            lastEventId = id;
          }
          let payload = {};
          try {
            payload = JSON.parse(data)?.data ?? {};
          } catch {
            return; // not our JSON: skip it rather than break the turn
          }
          on.event(event, payload);
          if (event === "final_complete") {
            finished = true;
            connection.abort(); // close the stream: the turn is over
          }
        },
        alive,
      );
      if (!finished) throw new Dropped("the stream ended before final_complete");
    } catch (error) {
      if (finished) return;
      if (signal.aborted) throw error;
      // Before the first event nothing says whether the turn started, and sending again
      // could run it twice: let the person decide.
      if (!lastEventId) throw error instanceof ApiError ? error : new ApiError(0, String(error));
      // A refusal of the resume (the turn expired, 404) cannot get better by retrying.
      if (error instanceof ApiError && error.status >= 400 && error.status < 500) throw error;
      failures += 1;
      if (failures > BACKOFF_MS.length) throw new ApiError(0, "resume failed");
      on.reconnecting(failures, BACKOFF_MS.length);
      await online(signal);
      await sleep(BACKOFF_MS[failures - 1], signal);
    } finally {
      clearTimeout(watchdog);
      signal.removeEventListener("abort", stop);
    }
    if (finished) return;
  }
}
