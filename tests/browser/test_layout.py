"""What every page owes a clerk: the API documentation offline, a skip link, French error pages, 1024 px."""

import re

from django.urls import reverse
from playwright.sync_api import expect

from prebill.billing.models import PreInvoice

from .conftest import log_in


def test_the_api_documentation_loads_without_internet(page, demo):
    outside = []

    def only_loopback(route):
        if route.request.url.startswith(page.base_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_loopback)
    log_in(page)
    page.goto(page.base_url + "/api/docs")

    expect(page.get_by_role("heading", name=re.compile("prebill API"))).to_be_visible(timeout=15_000)
    expect(page.locator(".opblock").first).to_be_visible()
    assert outside == []


def test_the_first_tab_offers_to_skip_the_menu(page, demo):
    log_in(page)
    page.goto(page.base_url + "/clients/")

    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_text("Aller au contenu")
    expect(skip).to_be_in_viewport()
    skip.press("Enter")
    expect(page.locator("main#content")).to_be_focused()


def test_an_unknown_address_gives_a_french_page_in_the_layout(page, demo, settings):
    settings.DEBUG = False
    log_in(page)
    response = page.goto(page.base_url + "/clients/999999/nowhere/")

    assert response.status == 404
    expect(page.locator("[data-test=error-page] h1")).to_have_text("Page introuvable")
    expect(page.locator("header.topbar nav")).to_be_visible()


def test_a_page_the_role_does_not_allow_says_so_in_french(page, demo, settings):
    settings.DEBUG = False
    log_in(page)  # a preparer: the audit trail is not hers
    response = page.goto(page.base_url + "/audit/")

    assert response.status == 403
    expect(page.locator("[data-test=error-page] h1")).to_have_text("Accès refusé")


def test_the_month_and_the_pre_invoice_pages_fit_at_1024_pixels(page, demo):
    page.set_viewport_size({"width": 1024, "height": 800})
    # One draft of each kind (fixed fee, time, engagement, training...): their tables differ.
    kinds = {}
    for pk, key in PreInvoice.objects.order_by("pk").values_list("pk", "document_key"):
        kinds.setdefault(key.split(":")[0], pk)
    pages = {kind: f"/billing/pre-invoices/{pk}/" for kind, pk in kinds.items()}
    pages.update(month=reverse("billing:pre_billing_current"), wizard=reverse("review:list"),
                 clients=reverse("clients:list"), costs=reverse("costs:list"))
    log_in(page)
    wide = {}
    for kind, path in pages.items():
        page.goto(page.base_url + path)
        expect(page.locator("main h1")).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 0:
            wide[kind] = overflow
    assert len(kinds) >= 3
    assert wide == {}, f"pages wider than the window, in px: {wide}"


def test_j_and_k_go_through_the_month_s_pre_invoices(page, demo):
    drafts = list(PreInvoice.objects.filter(period=PreInvoice.objects.order_by("period").values("period")[:1])
                  .order_by("client__code", "invoice_date", "document_key").values_list("pk", flat=True)[:3])
    log_in(page)
    page.goto(page.base_url + f"/billing/pre-invoices/{drafts[1]}/")

    page.keyboard.press("j")
    expect(page).to_have_url(page.base_url + f"/billing/pre-invoices/{drafts[2]}/")
    page.keyboard.press("k")
    expect(page).to_have_url(page.base_url + f"/billing/pre-invoices/{drafts[1]}/")
    page.keyboard.press("k")
    expect(page).to_have_url(page.base_url + f"/billing/pre-invoices/{drafts[0]}/")
    expect(page.locator("[data-test=previous]")).to_have_count(0)
    # Typing in a field is typing, not a shortcut.
    field = page.locator("main input[type=text], main input:not([type]), main textarea").first
    if field.count():
        field.press("j")
        expect(page).to_have_url(page.base_url + f"/billing/pre-invoices/{drafts[0]}/")
