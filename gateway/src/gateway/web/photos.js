// Photo checks before anything is uploaded: the type by the file's first bytes (what the server
// also decides by; a name or a browser-reported type can lie) and the 10 MB limit.

export const MAX_PHOTO_BYTES = 10 * 1024 * 1024;
export const ACCEPT = "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif";

const HEIF_BRANDS = new Set(["heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1"]);

function ascii(bytes, start, end) {
  return String.fromCharCode(...bytes.slice(start, end));
}

/** "jpeg" | "png" | "webp" | "heic" | null, from the file's signature. */
export async function sniffType(file) {
  const bytes = new Uint8Array(await file.slice(0, 16).arrayBuffer());
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  if (ascii(bytes, 0, 8) === "\x89PNG\r\n\x1a\n") return "png";
  if (ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 12) === "WEBP") return "webp";
  if (ascii(bytes, 4, 8) === "ftyp" && HEIF_BRANDS.has(ascii(bytes, 8, 12))) return "heic";
  return null;
}

export class PhotoError extends Error {}

/** Resolves to the photo's type or throws a PhotoError with a message for the person. */
export async function checkPhoto(file) {
  if (!file) throw new PhotoError("사진을 골라 주세요.");
  if (file.size === 0) throw new PhotoError("빈 파일이에요. 다른 사진을 골라 주세요.");
  const type = await sniffType(file);
  if (!type) {
    throw new PhotoError(
      `"${file.name}"은(는) 올릴 수 없는 형식이에요. JPEG, PNG, WebP 또는 HEIC 사진을 골라 주세요.`,
    );
  }
  if (file.size > MAX_PHOTO_BYTES) {
    const megabytes = (file.size / (1024 * 1024)).toFixed(1);
    throw new PhotoError(`사진이 너무 커요 (${megabytes}MB). 10MB 이하의 사진을 골라 주세요.`);
  }
  return type;
}

/** A preview URL for the picture, or null when the browser cannot show it (HEIC in Chrome). */
export async function previewUrl(file, type) {
  const url = URL.createObjectURL(file);
  if (type !== "heic") return url;
  const shows = await new Promise((resolve) => {
    const probe = new Image();
    probe.onload = () => resolve(true);
    probe.onerror = () => resolve(false);
    probe.src = url;
  });
  if (shows) return url;
  URL.revokeObjectURL(url);
  return null;
}
