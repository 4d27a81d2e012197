"""The web UI and the API cannot drift apart: every endpoint web/api.js calls (path template and
method) must be an operation of the gateway's OpenAPI schema. Also: only api.js talks to the
API, the page is served with its CSP and no inline script, and the UI stays out of the schema."""

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.routes.web import WEB_DIR
from gateway.settings import GatewaySettings

API_JS = WEB_DIR / "api.js"
# api.js writes every request as call("METHOD", "/api/...") or link("METHOD", "/api/...").
_ENDPOINT = re.compile(r'\b(?:call|link)\(\s*"([A-Z]+)",\s*"(/[^"]*)"')

# Endpoints the UI may call before the gateway serves them (none today): each entry must be
# one the UI really calls, and leaves this list once it has landed.
PENDING_ENDPOINTS: frozenset[tuple[str, str]] = frozenset()


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(GatewaySettings())


@pytest.fixture(scope="module")
def operations(app: FastAPI) -> set[tuple[str, str]]:
    schema = app.openapi()
    return {(method.upper(), path) for path, item in schema["paths"].items() for method in item}


def ui_endpoints() -> set[tuple[str, str]]:
    found = set(_ENDPOINT.findall(API_JS.read_text(encoding="utf-8")))
    assert found, "no call(...)/link(...) found in api.js: did its request helpers change?"
    return found


def test_every_endpoint_the_ui_calls_is_in_the_schema(operations: set[tuple[str, str]]) -> None:
    missing = sorted(
        endpoint
        for endpoint in ui_endpoints()
        if endpoint not in operations and endpoint not in PENDING_ENDPOINTS
    )
    assert not missing, f"api.js calls endpoints the gateway does not serve: {missing}"


def test_pending_endpoints_are_ones_the_ui_calls() -> None:
    # The list is for endpoints the UI is waiting for, not a place to park anything.
    unused = sorted(PENDING_ENDPOINTS - ui_endpoints())
    assert not unused, f"pending endpoints api.js no longer calls: {unused}"


def test_every_api_path_in_api_js_goes_through_the_checked_helpers() -> None:
    text = API_JS.read_text(encoding="utf-8")
    literals = set(re.findall(r'"(/api/[^"]*)"', text))
    checked = {path for _, path in ui_endpoints()}
    assert literals <= checked, f"API paths outside call()/link(): {sorted(literals - checked)}"


def test_only_api_js_talks_to_the_api() -> None:
    for module in sorted(WEB_DIR.glob("*.js")):
        if module == API_JS:
            continue
        text = module.read_text(encoding="utf-8")
        assert "/api/" not in text, f"{module.name} names an API path; put the call in api.js"
        assert "fetch(" not in text, f"{module.name} calls fetch; put the call in api.js"


def test_no_markup_from_strings_and_no_inline_code() -> None:
    # Text from people, experts and the catalog goes in as text nodes only.
    for module in sorted(WEB_DIR.glob("*.js")):
        text = module.read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in text, f"{module.name} uses {sink}"
    page = (WEB_DIR / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "inline <script> in index.html"
    assert not re.search(r"\son[a-z]+\s*=", page), "inline event handler in index.html"
    assert not re.search(r"\sstyle\s*=", page), "inline style attribute in index.html"


def test_the_page_is_served_with_a_strict_csp_and_stays_out_of_the_schema(app: FastAPI) -> None:
    client = TestClient(app)
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-cache"
    csp = {}
    for directive in page.headers["content-security-policy"].split(";"):
        name, _, values = directive.strip().partition(" ")
        csp[name] = values
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert csp["style-src"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert {"'self'", "data:", "blob:"} <= set(csp["img-src"].split())

    script = client.get("/static/app.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert script.headers["x-content-type-options"] == "nosniff"
    again = client.get("/static/app.js", headers={"If-None-Match": script.headers["etag"]})
    assert again.status_code == 304
    font = client.get("/static/fonts/tft-gothic-regular.woff2")
    assert font.status_code == 200 and font.headers["content-type"] == "font/woff2"
    for path in ("/static/index.html", "/static/nope.js", "/static/../routes/web.py"):
        assert client.get(path).status_code == 404, path

    paths = app.openapi()["paths"]
    assert "/" not in paths
    assert not [path for path in paths if path.startswith("/static")]


def test_the_font_ships_with_its_license() -> None:
    fonts = WEB_DIR / "fonts"
    assert "SIL OPEN FONT LICENSE" in (fonts / "OFL.txt").read_text(encoding="utf-8")
    total = sum(path.stat().st_size for path in fonts.glob("*.woff2"))
    assert 0 < total < 1024 * 1024, f"fonts are {total:,} bytes"
