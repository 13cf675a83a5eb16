"""Real browsers (Debian's Chromium and Firefox ESR, driven by Playwright) against the live
test server. Every browser test runs once in each browser that is installed."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings


@dataclass(frozen=True)
class BrowserSpec:
    """How to start one of the machine's browsers; never a browser Playwright downloads."""

    name: str  # Playwright's browser type
    executable: Path
    package: str  # the Debian package that installs it
    channel: str | None = None
    args: list[str] = field(default_factory=list)


BROWSERS = {
    "chromium": BrowserSpec(
        name="chromium",
        executable=Path("/usr/bin/chromium"),
        package="chromium",
        args=[
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    ),
    # Stock Firefox speaks WebDriver BiDi; the moz-firefox channel makes Playwright use it.
    "firefox": BrowserSpec(
        name="firefox",
        executable=Path("/usr/bin/firefox-esr"),
        package="firefox-esr",
        channel="moz-firefox",
    ),
}
STAFF_PASSWORD = "pass-word-123"  # tests.factories.UserFactory's password


@pytest.fixture(scope="module", params=sorted(BROWSERS))
def browser(request) -> Iterator:
    """One browser per test module and browser kind (started only by modules that use it)."""
    spec = BROWSERS[request.param]
    if not spec.executable.exists():
        pytest.skip(
            f"{spec.executable} is missing: apt-get install -y {spec.package} "
            "to run the browser tests in it."
        )
    playwright_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread while it is open, and
    # Django refuses ORM calls when it sees a running loop; the tests' own ORM calls
    # are plain synchronous code, so allow them for this module only.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with playwright_api.sync_playwright() as playwright:
            launched = playwright[spec.name].launch(
                executable_path=str(spec.executable),
                channel=spec.channel,
                args=spec.args,
                headless=True,
            )
            yield launched
            launched.close()


@pytest.fixture
def screenshots(browser) -> Path:
    """The folder for this browser's screenshots: <VAR_DIR>/screenshots/<browser>/."""
    folder = Path(settings.VAR_DIR) / "screenshots" / browser.browser_type.name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def new_page(browser, live_server, *, width: int = 1366, height: int = 900):
    """A page in a fresh context (own cookies) that records script errors and CSP refusals."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": height}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.script_errors = []
    page.on("pageerror", lambda error: page.script_errors.append(str(error)))
    # Content-Security-Policy refusals show up as console messages; they count as errors.
    page.on(
        "console",
        lambda message: page.script_errors.append(message.text)
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text
        else None,
    )
    return page


def log_in(
    page, user, *, next_path: str = "/dashboard/", login_path: str = "/dashboard/login/"
) -> None:
    """Open `next_path`, log in through the login form it sends to, and land on `next_path`."""
    page.goto(next_path)
    page.wait_for_url(f"**{login_path}**")
    _submit_login_form(page, user)
    page.wait_for_url(f"**{next_path}")


def log_in_on_my_pages(page, user) -> None:
    """Log in through /my/login/ itself and land on the user's first page (My videos)."""
    page.goto("/my/login/")
    _submit_login_form(page, user)
    page.wait_for_url("**/my/videos/")


def _submit_login_form(page, user) -> None:
    page.fill("#id_username", user.username)
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("button[type=submit]")


def close_page(page) -> None:
    """Stop the page's polling, then close its context."""
    page.goto("about:blank")
    page.context.close()


@pytest.fixture
def staff_page(browser, live_server, staff_user) -> Iterator:
    """A logged-in staff page; closes its context and checks for script errors after."""
    page = new_page(browser, live_server)
    log_in(page, staff_user)
    yield page
    errors = list(page.script_errors)
    close_page(page)
    assert not errors, f"JavaScript errors on the page: {errors}"
