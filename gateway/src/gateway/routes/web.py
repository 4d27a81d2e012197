"""The web UI: `/` is the single page (with a strict Content-Security-Policy), `/static/*` its
ES modules, stylesheet and fonts (gateway/web, no build step). Both stay out of the OpenAPI
schema: they are not part of the API."""

import mimetypes
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from starlette.requests import Request
from starlette.staticfiles import StaticFiles

from gateway.errors import ApiError
from tftkit.object_store import ObjectStoreSettings

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
INDEX = WEB_DIR / "index.html"

# Python 3.11's table does not know WOFF2; say what the fonts are rather than text/plain.
mimetypes.add_type("font/woff2", ".woff2")
mimetypes.add_type("text/javascript", ".js")

router = APIRouter(include_in_schema=False)
_static = StaticFiles(directory=WEB_DIR, check_dir=False)


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


@lru_cache(maxsize=1)
def content_security_policy() -> str:
    """The page's CSP: only our own scripts, styles and fonts; pictures from us, the media
    host (product pictures and uploads, which may live on S3) and Kakao's profile pictures."""
    images = ["'self'", "data:", "blob:"]
    media = _origin(ObjectStoreSettings().public_base_url)
    if media:
        images.append(media)
    images.append("https://*.kakaocdn.net")
    # The try-on can start from a photo sent earlier in the chat: it is read from the media host.
    connect = ["'self'", *([media] if media else [])]
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": images,
        "font-src": ["'self'"],
        "connect-src": connect,
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def _page_headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(),
        # The page names its modules without content hashes: always revalidate.
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }


@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def index() -> HTMLResponse:
    return HTMLResponse(INDEX.read_text(encoding="utf-8"), headers=_page_headers())


@router.api_route("/static/{path:path}", methods=["GET", "HEAD"])
async def static(path: str, request: Request) -> Response:
    # index.html is served at `/` only, where its CSP header comes with it.
    if path in ("", "index.html"):
        raise ApiError(404, "not found")
    response = await _static.get_response(path, request.scope)
    if response.status_code in (200, 304):
        # Modules and styles revalidate (ETag → 304) so a new release shows at once; the fonts
        # change only when regenerated, under the same name, so a week is enough.
        fonts = path.startswith("fonts/")
        response.headers["Cache-Control"] = "public, max-age=604800" if fonts else "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
    return response
