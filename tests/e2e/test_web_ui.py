"""The web UI in a real browser (Debian's chromium driven by Playwright) against the whole system
as real processes: a conversation with the four experts, a follow-up, reload, infinite scroll
through older messages, photo checks, a try-on to its picture, privacy between browsers, a
dropped stream resumed, phone layout, the first-load budget and an axe-core audit."""

import asyncio
import json
import os
import re
import statistics
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import redis.asyncio as redis
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import (
    Browser,
    BrowserContext,
    Page,
    Request,
    Route,
    async_playwright,
    expect,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fitting-service" / "tests"))
from tryon_pictures import astronaut, encoded, nobody

pytestmark = pytest.mark.asyncio(loop_scope="session")

CHROMIUM = os.environ.get("TFT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TURN_SECONDS = 90
# Send → first streamed expert text, per turn, as the page measured it (printed at the end).
FIRST_TEXT_MS: list[float] = []


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium fonts-nanum")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()
    if FIRST_TEXT_MS:
        print(
            f"\nsend → first expert text: p50 {statistics.median(FIRST_TEXT_MS):.0f} ms "
            f"over {len(FIRST_TEXT_MS)} turns ({', '.join(f'{v:.0f}' for v in FIRST_TEXT_MS)})"
        )


@pytest_asyncio.fixture(scope="module", loop_scope="session", autouse=True)
async def own_product_pictures(system) -> None:
    """Drops cached products whose picture URL names another system's media host.

    product-service caches whole products (picture URL included) in Redis for an hour under
    `product_id:<id>`, and every e2e session on a machine shares that Redis: a product cached
    by an earlier (or parallel) session points at that session's gateway, which this page's
    CSP rightly refuses. Deleting cache entries only costs a database read.
    """
    ours = system.env["MEDIA_BASE_URL"]
    client = redis.from_url(system.env["PRODUCT_REDIS_URL"])
    try:
        async for key in client.scan_iter(match="product_id:*", count=500):
            raw = await client.get(key)
            if raw and not json.loads(raw).get("image_url", "").startswith(ours):
                await client.delete(key)
    finally:
        await client.aclose()


class Watched:
    """A page with what went wrong on it: uncaught errors and CSP violations."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.problems: list[str] = []
        page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.problems.append(f"CSP: {message.text}")


async def new_page(
    browser: Browser, base_url: str, width: int = 1280, height: int = 800
) -> tuple[BrowserContext, Watched]:
    context = await browser.new_context(
        base_url=base_url, viewport={"width": width, "height": height}, locale="ko-KR"
    )
    context.set_default_timeout(30_000)
    return context, Watched(await context.new_page())


@pytest_asyncio.fixture(loop_scope="session")
async def desk(browser: Browser, system) -> AsyncIterator[Watched]:
    context, watched = await new_page(browser, system.base_url)
    yield watched
    await context.close()
    assert not watched.problems, watched.problems


async def eventually(page: Page, script: str, arg: Any = None, within: float = 30) -> Any:
    """Polls a JS function until it returns something truthy (wait_for_function would eval
    a string, which the page's CSP rightly forbids)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await page.evaluate(script, arg)
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not true within {within}s: {script}")
        await asyncio.sleep(0.1)


async def ask(page: Page, text: str, *, done_cards: int, timed: bool = True) -> None:
    """Sends `text` from the composer and waits until `done_cards` expert cards are complete
    (`timed`: record the page's send → first text measure)."""
    await page.fill("#composer-input", text)
    await page.click("#send-button")
    await expect(page.locator(".card.is-done")).to_have_count(
        done_cards, timeout=TURN_SECONDS * 1000
    )
    await expect(page.locator("#send-button")).to_be_visible()  # the turn ended
    first_text = await page.evaluate(
        "() => performance.getEntriesByName('tft:send-to-first-text').at(-1)?.duration ?? null"
    )
    assert first_text is not None, "the page measured no first text"
    if timed:
        FIRST_TEXT_MS.append(first_text)


def room_in(url: str) -> str:
    match = re.search(r"#room=(\d+)$", url)
    assert match, url
    return match.group(1)


async def all_images_load(page: Page, selector: str) -> int:
    images = page.locator(selector)
    count = await images.count()
    for index in range(count):
        image = images.nth(index)
        await image.scroll_into_view_if_needed()  # they are loading="lazy"
        await eventually(
            page, "(img) => img.complete && img.naturalWidth > 0", await image.element_handle()
        )
    return count


async def stream_turn(context: BrowserContext, text: str, room_id: str = "") -> str:
    """One whole turn through the API with the browser's cookies; the room's id."""
    params = {"user_input": text, **({"room_id": room_id} if room_id else {})}
    answer = await context.request.get(
        "/api/chat/rooms/messages/stream", params=params, timeout=TURN_SECONDS * 1000
    )
    assert answer.ok, await answer.text()
    body = await answer.text()
    assert "event: final_complete" in body
    if room_id:
        return room_id
    first = next(line for line in body.splitlines() if line.startswith("data:"))
    return str(json.loads(first.removeprefix("data:").strip())["data"]["room_id"])


async def test_a_full_conversation_then_a_follow_up_in_the_same_room(desk: Watched, system):
    page = desk.page
    await page.goto("/")
    await expect(page.locator("#composer-input")).to_have_attribute(
        "placeholder", re.compile("소개팅")
    )
    await ask(page, "내일 소개팅 가는데 입을 옷 추천해줘", done_cards=4)

    cards = page.locator(".card")
    assert [await c.get_attribute("data-agent") for c in await cards.all()] == [
        "style_analyst",
        "trend_expert",
        "color_expert",
        "fitting_coordinator",
    ]
    for card in await cards.all():
        assert len((await card.locator(".card__text").inner_text()).strip()) > 50
        await expect(card.locator(".product")).not_to_have_count(0)
    look = page.locator(".card--look")
    await expect(look.get_by_role("button", name="이 코디 입어보기")).to_be_enabled()
    # Product details arrived (brand, name, price) and every picture loads.
    await expect(page.locator(".product .skeleton-text")).to_have_count(0)
    await expect(page.locator(".product__price").first).to_contain_text("원")
    assert await all_images_load(page, ".product__img") >= 4

    room_id = room_in(page.url)
    link = page.locator(f'#room-list a[data-room-id="{room_id}"]')
    await expect(link).to_have_attribute("aria-current", "page")

    await ask(page, "좀 더 캐주얼하게 바꿔줘", done_cards=8)
    assert room_in(page.url) == room_id, "the follow-up stays in the room"
    stored = await page.request.get(f"/api/chat/rooms/{room_id}/messages")
    data = (await stored.json())["data"]
    assert data["count"] == 10
    assert [m["message_type"] for m in data["messages"]] == (["USER"] + ["AI"] * 4) * 2
    await expect(page.locator("#room-list a.room")).to_have_count(1)


async def test_reload_keeps_the_room_and_its_history(desk: Watched, system):
    page = desk.page
    await page.goto("/")
    await ask(page, "다음 주 면접 보러 가는데 단정한 옷 추천해줘", done_cards=4)
    room_id = room_in(page.url)
    texts = [await t.inner_text() for t in await page.locator(".card__text").all()]

    await page.reload()
    await expect(page.locator(".msg--user")).to_have_count(1)
    await expect(page.locator(".msg--expert")).to_have_count(4)
    assert room_in(page.url) == room_id
    assert [await t.inner_text() for t in await page.locator(".card__text").all()] == texts
    await expect(page.locator(".msg--user .bubble__text")).to_have_text(
        "다음 주 면접 보러 가는데 단정한 옷 추천해줘"
    )
    await expect(page.locator(f'#room-list a[data-room-id="{room_id}"]')).to_have_attribute(
        "aria-current", "page"
    )
    await expect(page.locator(".card--look .card__try")).to_be_enabled()
    assert await all_images_load(page, ".product__img") >= 4

    # A new chat empties the screen; the room stays in the sidebar and opens again.
    await page.click("#new-chat")
    await expect(page.locator("#welcome")).to_be_visible()
    await expect(page.locator(".msg")).to_have_count(0)
    await page.click(f'#room-list a[data-room-id="{room_id}"]')
    await expect(page.locator(".msg--expert")).to_have_count(4)


async def test_scrolling_up_loads_older_messages_in_place(desk: Watched, system):
    page = desk.page
    await page.goto("/")  # the guest identity cookie comes with the first API call
    room_id = await stream_turn(page.context, "출근룩 추천해줘")
    for text in ("좀 더 캐주얼하게", "네이비로 바꿔줘", "예산은 20만원", "겨울용으로"):
        await stream_turn(page.context, text, room_id)  # 5 turns: 25 messages

    await page.goto(f"/#room={room_id}")
    await expect(page.locator("#messages > .msg")).to_have_count(20)
    await expect(page.locator("#older")).to_be_visible()
    first = page.locator("#messages > .msg").first
    marker = await first.element_handle()
    scroller = page.locator("#conversation")
    # Scroll to the top and note where the oldest loaded message is, in one task of the page:
    # the load it starts cannot land in between.
    before = await scroller.evaluate(
        """(el, marker) => {
            el.scrollTop = 0;
            return marker.getBoundingClientRect().top;
        }""",
        marker,
    )

    await expect(page.locator("#messages > .msg")).to_have_count(25)
    await expect(page.locator("#older")).to_be_hidden()
    after = await page.evaluate("(el) => el.getBoundingClientRect().top", marker)
    assert abs(after - before) <= 2, (before, after)
    assert await scroller.evaluate("(el) => el.scrollTop") > 0
    # Oldest first: the room starts with the first question.
    await expect(page.locator("#messages > .msg").first).to_contain_text("출근룩 추천해줘")


async def test_photos_of_the_wrong_type_or_size_are_refused_before_upload(desk: Watched, system):
    page = desk.page
    uploads: list[str] = []
    page.on("request", lambda r: uploads.append(r.url) if "/api/chat/upload" in r.url else None)
    await page.goto("/")
    await page.set_input_files(
        "#photo-input",
        files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a picture"}],
    )
    await expect(page.locator("#composer-error")).to_contain_text("올릴 수 없는 형식")
    await expect(page.locator("#attachment")).to_be_hidden()

    png_header = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    big = png_header + b"\x00" * (10 * 1024 * 1024)
    await page.set_input_files(
        "#photo-input", files=[{"name": "big.png", "mimeType": "image/png", "buffer": big}]
    )
    await expect(page.locator("#composer-error")).to_contain_text("10MB")
    await expect(page.locator("#attachment")).to_be_hidden()

    # A real photo is accepted and previewed, and can be taken off again.
    await page.set_input_files(
        "#photo-input",
        files=[{"name": "me.jpg", "mimeType": "image/jpeg", "buffer": encoded(astronaut())}],
    )
    await expect(page.locator("#composer-error")).to_be_empty()
    await expect(page.locator(".attachment__img")).to_be_visible()
    await page.get_by_role("button", name="첨부한 사진 빼기").click()
    await expect(page.locator("#attachment")).to_be_hidden()
    assert uploads == [], "nothing is uploaded before sending"


async def test_try_on_the_coordinators_look_with_the_chat_photo(desk: Watched, system):
    page = desk.page
    await page.goto("/")
    await page.set_input_files(
        "#photo-input",
        files=[{"name": "me.jpg", "mimeType": "image/jpeg", "buffer": encoded(astronaut())}],
    )
    await ask(page, "출근할 때 입을 셔츠 코디 추천해줘", done_cards=4)
    await expect(page.locator(".msg--user .bubble__photo")).to_be_visible()

    dialog = page.locator("#tryon-dialog")
    await page.locator(".card--look").get_by_role("button", name="이 코디 입어보기").click()
    await expect(dialog).to_be_visible()
    has_top = await dialog.locator('input[name="tryon-upper"]').count() > 0
    if not has_top:
        # The look has no top: try any top of the panel's cards instead.
        await page.keyboard.press("Escape")
        await page.locator(".product[data-category=TOP] .product__try").first.click()
        await expect(dialog).to_be_visible()
    if await dialog.locator("#tryon-lower-none").count():
        # An upper-body photo cannot show trousers: try the top alone.
        await dialog.locator("#tryon-lower-none").check()
    await expect(dialog.locator(".tryon__photo-img")).to_be_visible()  # the chat's photo

    # A photo with nobody in it: the person gets the service's Korean advice.
    await dialog.locator("#tryon-photo-input").set_input_files(
        files=[{"name": "field.jpg", "mimeType": "image/jpeg", "buffer": encoded(nobody())}]
    )
    await dialog.get_by_role("button", name="입어보기", exact=True).click()
    await expect(dialog.locator(".form-error")).to_contain_text("사람", timeout=60_000)

    await dialog.locator("#tryon-photo-input").set_input_files(
        files=[{"name": "me.jpg", "mimeType": "image/jpeg", "buffer": encoded(astronaut())}]
    )
    await dialog.get_by_role("button", name="입어보기", exact=True).click()
    result = dialog.locator(".tryon__result-img")
    await expect(result).to_be_visible(timeout=120_000)
    width = await result.evaluate("(img) => img.naturalWidth")
    assert width > 0
    source = await result.get_attribute("src")
    assert re.search(r"/api/fitting/result/[\w-]+$", source or ""), source
    download = dialog.get_by_role("link", name="결과 사진 저장하기")
    assert await download.get_attribute("href") == source
    await expect(dialog.locator(".form-error")).to_be_empty()

    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()


async def test_another_browser_cannot_open_the_room(browser: Browser, system):
    owner, mine = await new_page(browser, system.base_url)
    stranger, theirs = await new_page(browser, system.base_url)
    try:
        await mine.page.goto("/")
        room_id = await stream_turn(owner, "하객룩 추천해줘")

        await theirs.page.goto(f"/#room={room_id}")
        error = theirs.page.locator(".notice--error")
        await expect(error).to_contain_text("찾을 수 없어요")
        await expect(error).to_contain_text("404")
        await expect(theirs.page.locator(".msg")).to_have_count(0)
        await expect(theirs.page.locator("#room-list")).to_contain_text("아직 대화가 없어요")
        # What the stranger sends next starts a room of their own.
        await ask(theirs.page, "캐주얼한 주말 코디", done_cards=4)
        assert room_in(theirs.page.url) != room_id
    finally:
        await owner.close()
        await stranger.close()
    assert not mine.problems and not theirs.problems, mine.problems + theirs.problems


async def test_a_dropped_stream_resumes_where_it_stopped(desk: Watched, system):
    page = desk.page
    streams: list[Request] = []
    page.on("request", lambda r: streams.append(r) if "/messages/stream" in r.url else None)
    cut = {"done": False}

    async def drop_midway(route: Route) -> None:
        if cut["done"]:
            await route.continue_()
            return
        cut["done"] = True
        # The real turn, cut after a few events as if the connection had dropped there.
        answer = await route.fetch(timeout=TURN_SECONDS * 1000)
        events = re.split(r"\r?\n\r?\n", await answer.text())  # the gateway ends lines \r\n
        first_content = next(i for i, e in enumerate(events) if "event: content" in e)
        kept = "\r\n\r\n".join(events[: first_content + 3]) + "\r\n\r\n"
        assert "final_complete" not in kept
        headers = {
            k: v
            for k, v in answer.headers.items()
            if k.lower() not in ("content-length", "transfer-encoding")
        }
        await route.fulfill(status=200, headers=headers, body=kept)

    await page.route(re.compile(r"/messages/stream\?"), drop_midway)
    await page.goto("/")
    await ask(page, "봄 나들이 코디 추천해줘", done_cards=4, timed=False)  # the cut waits

    assert len(streams) == 2, [r.url for r in streams]
    resumed = await streams[1].all_headers()
    assert resumed.get("last-event-id"), "the second request resumes with Last-Event-ID"
    # Nothing doubled or lost: the cards read exactly what the room stored.
    room_id = room_in(page.url)
    stored = (await (await page.request.get(f"/api/chat/rooms/{room_id}/messages")).json())["data"]
    answers = {m["agent_type"]: m["content"] for m in stored["messages"] if m["agent_type"]}
    shown = {
        await card.get_attribute("data-agent"): await card.locator(".card__text").inner_text()
        for card in await page.locator(".card").all()
    }
    assert shown == answers


async def test_phone_layout_has_a_drawer_and_no_sideways_scroll(browser: Browser, system):
    context, watched = await new_page(browser, system.base_url, width=360, height=740)
    page = watched.page
    try:
        await page.goto("/")
        sidebar = page.locator("#sidebar")
        await expect(sidebar).to_be_hidden()
        assert await page.evaluate("() => document.documentElement.scrollWidth") <= 360
        toggle = page.locator("#drawer-toggle")
        await toggle.click()
        await expect(sidebar).to_be_visible()
        await expect(toggle).to_have_attribute("aria-expanded", "true")
        await expect(page.locator("#new-chat")).to_be_focused()
        await page.keyboard.press("Escape")
        await expect(sidebar).to_be_hidden()
        await expect(toggle).to_be_focused()
        await ask(page, "여름 휴가 코디 추천해줘", done_cards=4)
        # Only the conversation scrolls, never the page under the top bar and the composer.
        size = await page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        )
        assert size == [360, 740], size
    finally:
        await context.close()
    assert not watched.problems, watched.problems


async def test_the_expert_chooser_limits_the_panel(desk: Watched, system):
    page = desk.page
    await page.goto("/")
    await page.get_by_text("답변할 전문가 고르기").click()
    for name in ("스타일 분석가", "트렌드 전문가", "핏팅 코디네이터"):
        await page.get_by_role("checkbox", name=name).uncheck()
    await ask(page, "면접 복장 색 조합 알려줘", done_cards=1)
    await expect(page.locator(".card")).to_have_count(1)
    assert await page.locator(".card").get_attribute("data-agent") == "color_expert"
    # None at all is refused before anything is sent.
    await page.get_by_role("checkbox", name="컬러 전문가").uncheck()
    await page.fill("#composer-input", "아무도 없이")
    await page.click("#send-button")
    await expect(page.locator("#composer-error")).to_contain_text("한 명 이상")
    await expect(page.locator(".card")).to_have_count(1)


async def test_kakao_login_shows_the_person_keeps_the_rooms_and_logs_out(
    desk: Watched, system, kakao
):
    page = desk.page
    await page.goto("/")
    login = page.get_by_role("link", name="카카오 로그인")
    assert await login.get_attribute("href") == "/api/auth/kakao/login"
    await ask(page, "소개팅룩 추천해줘", done_cards=4)
    room_id = room_in(page.url)

    # The person cancels at Kakao: the app says so, and the address is clean again.
    kakao.next_decision = "cancel"
    await login.click()
    await expect(page.locator("#turn-status")).to_have_text("카카오 로그인을 취소했어요.")
    assert "login_error" not in page.url

    # Logged in (the local Kakao server consents at once): name and logout, rooms kept.
    kakao.user = {"id": 779001, "properties": {"nickname": "한여름", "profile_image": ""}}
    await page.get_by_role("link", name="카카오 로그인").click()
    await expect(page.locator(".account__name")).to_have_text("한여름님")
    await expect(page.get_by_role("link", name="카카오 로그인")).to_have_count(0)
    await expect(page.locator(f'#room-list a[data-room-id="{room_id}"]')).to_be_visible()

    await page.get_by_role("button", name="로그아웃").click()
    await expect(page.get_by_role("link", name="카카오 로그인")).to_be_visible()
    await expect(page.locator(".account__name")).to_have_count(0)


async def test_the_profile_panel_shows_edits_and_forgets_what_the_stylist_remembers(
    desk: Watched, system
):
    page = desk.page
    await page.goto("/")
    await page.get_by_role("button", name="내 프로필").click()
    dialog = page.locator("#profile-dialog")
    await expect(dialog).to_be_visible()
    await dialog.get_by_label("키 (cm)").fill("168")
    await dialog.get_by_label("좋아하는 것").fill("네이비, 니트")
    await dialog.get_by_role("button", name="저장하기").click()
    await expect(dialog).to_contain_text("저장했어요")
    stored = (await (await page.request.get("/api/profile")).json())["data"]
    assert stored["height"] == 168 and stored["likes"] == ["네이비", "니트"]
    # Forgetting takes two presses, then it is gone at once.
    forget = dialog.get_by_role("button", name="기억 지우기")
    await forget.click()
    await dialog.get_by_role("button", name="정말 지울까요? 한 번 더 누르세요").click()
    await expect(dialog).to_contain_text("모두 지웠어요")
    gone = (await (await page.request.get("/api/profile")).json())["data"]
    assert gone["height"] is None and gone["likes"] == []
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_role("button", name="내 프로필")).to_be_focused()


async def test_first_load_is_small_and_the_page_is_served_under_its_csp(desk: Watched, system):
    page = desk.page
    answer = await page.goto("/")
    assert answer is not None
    headers = await answer.all_headers()
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-cache"
    await expect(page.locator("#room-list")).to_contain_text("아직 대화가 없어요")
    await page.evaluate("() => document.fonts.ready.then(() => true)")
    transferred = await page.evaluate(
        """() => {
            const nav = performance.getEntriesByType('navigation')[0];
            const rest = performance.getEntriesByType('resource');
            return [nav, ...rest].reduce((sum, e) => sum + (e.transferSize || 0), 0);
        }"""
    )
    print(f"\nfirst load: {transferred:,} bytes transferred")
    assert 0 < transferred < 800 * 1024
    # The served font, not a fallback, sets the Korean text.
    assert await page.evaluate(
        "() => [...document.fonts].some(f => f.family.includes('TFT Gothic')"
        " && f.status === 'loaded')"
    )


async def test_no_serious_accessibility_violations(desk: Watched, system):
    page = desk.page
    await page.goto("/")
    await expect(page.locator("#room-list")).to_contain_text("아직 대화가 없어요")
    axe = Axe()
    welcome = await axe.run(page)
    await ask(page, "주말 데이트 코디 추천해줘", done_cards=4)
    conversation = await axe.run(page)
    serious = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for result in (welcome, conversation)
        for v in result.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, serious
