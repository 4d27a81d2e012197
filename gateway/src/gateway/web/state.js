// What the page knows about the open conversation, shared by the modules.

export const state = {
  /** The open room's id (a string, as the URL carries it), or null for a new chat. */
  roomId: null,
  /** The latest photo sent in this page's chat: {file, url}; the try-on reuses it. */
  photo: null,
  /** The latest photo URL found in the open room's history (after a reload: no File). */
  historyPhotoUrl: null,
};

/** The photo a try-on can start from: {file} or {url}, or null. */
export function chatPhoto() {
  if (state.photo) return { file: state.photo.file, url: state.photo.url };
  if (state.historyPhotoUrl) return { file: null, url: state.historyPhotoUrl };
  return null;
}
