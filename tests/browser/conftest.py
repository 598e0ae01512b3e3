"""Browser tests: Playwright drives Debian's Chromium against Django's live server."""

import os
from datetime import date

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import sync_playwright

from prebill.demo.loader import load_demo

# Playwright's sync API runs an event loop in the test thread; the tests' own database calls are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]
SCREENSHOTS = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "screenshots")
TODAY = date(2026, 11, 23)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def demo(transactional_db, unfreeze_after):
    """A small demo firm, its month run, and a preparer who logs in with a password."""
    load_demo(clients=25, seed=3, today=TODAY)
    user = User.objects.create_user(username="claire", password="facturation-2026", first_name="Claire")
    user.groups.add(Group.objects.get_or_create(name="preparer")[0])
    return user


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.base_url = live_server.url
    in_flight: set = set()
    page.on("request", lambda request: in_flight.add(request))
    page.on("requestfinished", lambda request: in_flight.discard(request))
    page.on("requestfailed", lambda request: in_flight.discard(request))
    yield page
    # A request the test did not wait for (an htmx post, say) still works in the live server: the tables are
    # emptied after the test, and emptying them under its feet deadlocks on PostgreSQL.
    for _ in range(600):
        if not in_flight:
            break
        page.wait_for_timeout(50)
    context.close()


def log_in(page, username: str = "claire", password: str = "facturation-2026") -> None:
    page.goto(page.base_url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def screenshot(page, name: str) -> None:
    """Refresh docs/screenshots only when asked (PREBILL_SCREENSHOTS=1), so test runs leave the tree clean."""
    if not os.environ.get("PREBILL_SCREENSHOTS"):
        return
    os.makedirs(SCREENSHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SCREENSHOTS, name), full_page=False)


def confirm(page, *, says: str = "") -> None:
    """Answer yes in the confirmation dialog an irreversible act opens (checking what it says, when given)."""
    dialog = page.locator("#confirm-dialog")
    dialog.wait_for(state="visible")
    if says:
        assert says in dialog.inner_text(), dialog.inner_text()
    dialog.locator("[data-test=confirm-yes]").click(no_wait_after=True)  # a long act answers when done
