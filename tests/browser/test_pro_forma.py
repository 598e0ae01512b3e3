"""A preparer takes a client's hours through a pro forma: generate, change, transfer, withdraw, process."""

from django.db.models import Count
from playwright.sync_api import expect

from prebill.billing.models import BillableItem

from .conftest import log_in, screenshot


def test_a_pro_forma_from_generation_to_pre_invoice(page, demo, unfreeze_after):
    client_code = (BillableItem.objects.filter(kind="time", status="pending", service_date__lte="2026-11-30")
                   .values("client__code").annotate(n=Count("id")).order_by("-n", "client__code")
                   .first()["client__code"])
    log_in(page)

    # Generate: the client's hours leave the month's drafts and land on its open pro forma.
    page.click("nav a[href='/pro-forma/']")
    page.fill("[data-test=generate] input[name=client]", client_code)
    page.fill("[data-test=generate] input[name=until]", "2026-11-30")
    page.click("[data-test=generate] button")
    lines = page.locator("[data-test=line]")
    expect(lines.first).to_be_visible()
    count = lines.count()
    assert count >= 3

    # Change the first line's amount to bill.
    first = lines.nth(0)
    first.locator("input[name=amount]").fill("100,00")
    first.locator("button", has_text="Enregistrer").click()
    expect(lines.nth(0).locator("input[name=amount]")).to_have_value("100,00")

    # Transfer the second line to a later invoice and withdraw the third.
    lines.nth(1).locator("[data-test=transferred]").click()
    expect(lines.nth(1).locator("[data-test=status]")).to_have_text("reportée")
    lines.nth(2).locator("[data-test=withdrawn]").click()
    expect(lines.nth(2).locator("[data-test=status]")).to_have_text("retirée")
    screenshot(page, "pro-forma.png")

    # Process: a pre-invoice with the first line at the typed amount, ready to validate.
    page.click("[data-test=process]")
    expect(page.locator("h1")).to_contain_text("Pré-facture")
    expect(page.locator("table.lines tbody tr")).to_have_count(count - 2)
    expect(page.locator("table.lines tbody tr").first).to_contain_text("100,00")
