"""`make screenshots`: the web UI at a phone's width (390 px) and a desktop's (1280 px), written to
docs/screenshots/{chat,tryon,rooms}-{390,1280}.png.

It runs as a pytest session so that it starts the whole system exactly like the end-to-end tests
(tests/e2e/conftest.py: the machine's PostgreSQL and Redis, fresh databases, free ports) and
drives Debian's chromium like tests/e2e/test_web_ui.py. `make test` does not collect it (its
name does not start with `test_`); it runs only when named:

    uv run --frozen pytest -q tests/e2e/screenshots.py
"""

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from e2e.test_web_ui import (  # noqa: F401  (own_product_pictures: an autouse fixture)
    ask,
    astronaut,
    browser,
    encoded,
    own_product_pictures,
    stream_turn,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZES = {390: 844, 1280: 800}


async def _settle(page: Page) -> None:
    """Waits for pictures in view and fonts, so a screenshot shows the finished page."""
    await page.evaluate("() => document.fonts.ready.then(() => true)")
    # Lazy pictures outside the viewport (below, or sideways in a product row) never load:
    # wait only for the visible ones, and not forever.
    await page.evaluate(
        """() => {
            const visible = (img) => {
                const box = img.getBoundingClientRect();
                return box.bottom > 0 && box.top < innerHeight && box.right > 0
                    && box.left < innerWidth;
            };
            const loads = [...document.images]
                .filter((img) => visible(img) && !img.complete)
                .map((img) => new Promise((done) => { img.onload = img.onerror = done; }));
            const enough = new Promise((done) => setTimeout(done, 5000));
            return Promise.race([Promise.all(loads), enough]);
        }"""
    )
    await page.wait_for_timeout(300)


@pytest.mark.parametrize("width", sorted(SIZES))
async def test_screenshots(browser: Browser, system, width: int) -> None:  # noqa: F811
    OUT.mkdir(parents=True, exist_ok=True)
    context = await browser.new_context(
        base_url=system.base_url,
        viewport={"width": width, "height": SIZES[width]},
        locale="ko-KR",
        device_scale_factor=1,
    )
    context.set_default_timeout(30_000)
    page = await context.new_page()
    try:
        # Two earlier conversations, so the sidebar has a history.
        await page.goto("/")
        await stream_turn(context, "다음 주 면접 보러 가는데 단정한 옷 추천해줘")
        await stream_turn(context, "5월 결혼식 하객룩 추천해줘")
        await page.reload()

        # chat: a question with a photo, the panel's answers streaming into cards.
        await page.set_input_files(
            "#photo-input",
            files=[{"name": "me.jpg", "mimeType": "image/jpeg", "buffer": encoded(astronaut())}],
        )
        await ask(page, "내일 소개팅 가는데 입을 옷 추천해줘", done_cards=4, timed=False)
        await page.locator(".msg--user").first.evaluate("(el) => el.scrollIntoView()")
        await _settle(page)
        await page.screenshot(path=OUT / f"chat-{width}.png")

        # tryon: the coordinator's look on the chat's photo, beside the photo.
        await page.locator(".card--look .card__try").click()
        dialog = page.locator("#tryon-dialog")
        if await dialog.locator("#tryon-lower-none").count():
            await dialog.locator("#tryon-lower-none").check()  # an upper-body photo
        await dialog.get_by_role("button", name="입어보기", exact=True).click()
        await expect(dialog.locator(".tryon__result-img")).to_be_visible(timeout=120_000)
        await dialog.locator(".tryon__result").evaluate("(el) => el.scrollIntoView()")
        await _settle(page)
        await page.screenshot(path=OUT / f"tryon-{width}.png")
        await page.keyboard.press("Escape")

        # rooms: an earlier room opened from the sidebar (the drawer on a phone).
        older = page.locator("#room-list a.room").nth(2)
        if width < 860:
            await page.click("#drawer-toggle")
            await expect(page.locator("#sidebar")).to_be_visible()
            await older.click()
            await expect(page.locator(".msg--expert")).to_have_count(4)
            await page.click("#drawer-toggle")
            await page.wait_for_timeout(300)  # the drawer slides in
        else:
            await older.click()
            await expect(page.locator(".msg--expert")).to_have_count(4)
        await _settle(page)
        await page.screenshot(path=OUT / f"rooms-{width}.png")
    finally:
        await context.close()
