"""Browser tests: Playwright (sync API) driving the system's Chromium against the local stack.

One stack per session (fresh data dir), one browser per session, a new context per page a test
opens: desktop (1280x800) or phone (390x844, touch), German or English, with or without
JavaScript. ``screenshot(page, name)`` keeps a full-page PNG of what the test saw in
``.browser-screenshots/<test>/`` for a person to look at.

The browser is the one ``find_chromium.py`` finds (``make browser`` installs it where it can);
without one every test here fails with a message saying how to install it, never skips.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from local_aws.cli import LocalStack
from tests.browser.find_chromium import ChromiumNotFound, find

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".browser-screenshots"

Size = Literal["desktop", "phone"]
Language = Literal["de", "en"]

SIZES: dict[str, dict[str, object]] = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 3,
        "is_mobile": True,
        "has_touch": True,
    },
}
LOCALES = {"de": "de-DE", "en": "en-GB"}


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    try:
        return find()
    except ChromiumNotFound as missing:
        pytest.fail(str(missing), pytrace=False)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """The whole system as ``make run`` starts it, on a free port, with fresh data.

    Per module, not per session: a running stack points this process's AWS environment at
    itself, which later tests of other kinds must not inherit."""
    with LocalStack(data_dir=tmp_path_factory.mktemp("browser") / "data", port=0) as running:
        yield running


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


def launch(playwright: Playwright, executable: str) -> Browser:
    """Headless, in Chromium's sandbox where it can have one.

    Chromium refuses its sandbox to root; elsewhere the kernel may refuse it the user
    namespaces it needs (Ubuntu 24.04 for a Chromium without an AppArmor profile, such as the
    build GitHub's runners have at /usr/bin/chromium; some containers), and it cannot start or
    show a page: then without.
    """
    if os.geteuid() != 0:
        browser = None
        try:
            browser = playwright.chromium.launch(
                executable_path=executable, headless=True, chromium_sandbox=True
            )
            page = browser.new_page()
            page.set_content("<p>sandbox</p>")
            page.close()
        except PlaywrightError as refused:
            if browser is not None:
                browser.close()
            first_line = (str(refused).strip().splitlines() or ["?"])[0]
            print(f"Chromium did not work in its sandbox ({first_line}); starting it without.")
        else:
            return browser
    return playwright.chromium.launch(
        executable_path=executable, headless=True, chromium_sandbox=False
    )


@pytest.fixture(scope="module")
def browser(playwright: Playwright, chromium_executable: str) -> Iterator[Browser]:
    browser = launch(playwright, chromium_executable)
    yield browser
    browser.close()


NewPage = Callable[..., Page]


@pytest.fixture
def new_page(browser: Browser, stack: LocalStack) -> Iterator[NewPage]:
    """``new_page(size="desktop", language="de", javascript=True)``: a page in a context of
    its own (no cookies shared with other pages), relative URLs against the stack."""
    contexts: list[BrowserContext] = []

    def open_page(
        size: Size = "desktop", language: Language = "de", javascript: bool = True
    ) -> Page:
        context = browser.new_context(
            base_url=stack.base_url,
            locale=LOCALES[language],
            java_script_enabled=javascript,
            **SIZES[size],
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def desktop(new_page: NewPage) -> Page:
    return new_page("desktop")


@pytest.fixture
def phone(new_page: NewPage) -> Page:
    return new_page("phone")


@pytest.fixture
def no_javascript(new_page: NewPage) -> Page:
    return new_page("desktop", javascript=False)


Screenshot = Callable[[Page, str], Path]


def file_name(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text).strip("_")


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Screenshot:
    """``screenshot(page, name)`` saves the whole page as
    ``.browser-screenshots/<test>/<nn>-<name>-<size>.png`` (the folder emptied per test)."""
    folder = SCREENSHOTS / file_name(request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    taken = 0

    def take(page: Page, name: str) -> Path:
        nonlocal taken
        taken += 1
        viewport = page.viewport_size or {"width": 0, "height": 0}
        size = f"{viewport['width']}x{viewport['height']}"
        path = folder / f"{taken:02d}-{file_name(name)}-{size}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take


@pytest.fixture
def staff_api(stack: LocalStack) -> Iterator[httpx.Client]:
    """The staff JSON API, as a script with a staff token calls it."""
    token = stack.issue_token(groups=("staff",))
    with httpx.Client(
        base_url=stack.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        yield client


def applications_from(staff_api: httpx.Client, stack: LocalStack, email: str) -> list[dict]:
    """Every application (status ``applied``) the staff API lists for ``email``, once the
    views have caught up with everything written so far."""
    deadline = time.monotonic() + 20
    while not stack.wait_for_projections(1):
        assert time.monotonic() < deadline, "the views did not catch up within 20 s"
    found: list[dict] = []
    params: dict[str, str] = {"status": "applied"}
    while True:
        reply = staff_api.get("/staff/members", params=params)
        assert reply.status_code == 200, reply.text
        page = reply.json()
        found.extend(m for m in page["members"] if m["email"] == email)
        if not page.get("next_cursor"):
            return found
        params["after"] = page["next_cursor"]
