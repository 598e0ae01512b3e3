"""A preparer walks the periodic billing wizard on the demo portfolio: scope, review, orders, confirmation."""

from playwright.sync_api import expect

from prebill.billing.models import BillableItem, PreInvoice
from prebill.orders.models import DeliveryNote, OrderLine

from .conftest import log_in, screenshot


def test_the_four_steps_of_the_periodic_billing_wizard(page, demo, unfreeze_after):
    note = DeliveryNote.objects.select_related("client", "engagement").order_by("number").first()
    client_code, engagement_code = note.client.code, note.engagement.code
    assert BillableItem.objects.filter(client__code=client_code, kind="time", status="pending").count() >= 2
    log_in(page)

    # Step 1: the scope is one client, November.
    page.click("nav a[href='/review/']")
    page.fill("[data-test=scope] input[name=start]", "2026-11-01")
    page.fill("[data-test=scope] input[name=end]", "2026-11-30")
    page.fill("[data-test=scope] input[name=client_from]", client_code)
    page.fill("[data-test=scope] input[name=client_to]", client_code)
    page.click("[data-test=start]")

    # Step 2: one time entry is not billable; an element by hand; the delivery note is billed.
    rows = page.locator("[data-test=time-row]")
    expect(rows.first).to_be_visible()
    rows.first.locator("select[name=billable]").select_option("no")
    rows.first.locator("button").click()
    expect(page.locator("[data-test=time-row]").first.locator("select[name=billable]")).to_have_value("no")
    page.click("[data-test=tab-elements]")
    form = page.locator("[data-test=add-element]")
    form.locator("input[name=engagement]").fill(engagement_code)
    form.locator("input[name=article]").fill("CONS/STD")
    form.locator("input[name=designation]").fill("Frais de dossier")
    form.locator("input[name=quantity]").fill("1")
    form.locator("input[name=unit_price]").fill("45,50")
    form.locator("button").click()
    expect(page.locator("[data-test=element-row]")).to_have_count(1)
    page.click("a[href='?tab=delivery']")
    page.locator("[data-test=bill-delivery]").first.click()
    expect(page.locator("[data-test=delivery-row]")).to_have_count(0)
    screenshot(page, "review-step2.png")

    # Step 3: allocate an element to the client's order; put another on hold (extra).
    page.click("[data-test=next]")
    matched = page.locator("[data-test=match-row]", has=page.locator("[data-test=allocate]")).first
    matched.locator("[data-test=allocate] input[name=quantity]").fill("1")
    matched.locator("[data-test=allocate] button").click()
    expect(page.locator("[data-test=match-row] .badge").first).to_be_visible()
    extra = page.locator("[data-test=match-row]").last
    extra.locator("[data-test=move]").select_option("extra")
    extra.locator("button", has_text="Déplacer").click()

    # Step 4: the element on hold blocks confirmation until decided.
    page.click("[data-test=next]")
    expect(page.locator("[data-test=on-hold]")).to_be_visible()
    page.click("[data-test=confirm]")
    expect(page.locator(".messages, .error").first).to_contain_text("supplément")
    assert not PreInvoice.objects.filter(source="review").exists()
    page.click("[data-test=steps] a:has-text('3.')")
    last = page.locator("[data-test=match-row]").last
    last.locator("[data-test=move]").select_option("bill_now")
    last.locator("button", has_text="Déplacer").click()
    page.click("[data-test=next]")
    screenshot(page, "review-step4.png")
    page.click("[data-test=confirm]")

    # The pre-invoices are listed with links; one opens.
    created = page.locator("[data-test=created] a")
    expect(created.first).to_be_visible()
    assert created.count() == PreInvoice.objects.filter(source="review").count() >= 1
    assert OrderLine.objects.filter(order__client__code=client_code, allocations__isnull=False).exists()
    created.first.click()
    expect(page.locator("h1")).to_contain_text("Pré-facture")
