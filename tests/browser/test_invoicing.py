"""A clerk with the validator, accountant and collections roles takes a pre-invoice to paid."""

import re

from django.contrib.auth.models import Group
from playwright.sync_api import expect

from prebill.billing.models import PreInvoice
from prebill.organisation.models import InvoiceSeries, Organisation

from .conftest import confirm, log_in, screenshot


def test_validate_a_pre_invoice_record_a_payment_and_see_the_aged_balance_move(page, demo, unfreeze_after):
    for role in ("validator", "accountant", "collections"):
        demo.groups.add(Group.objects.get_or_create(name=role)[0])
    if not InvoiceSeries.objects.exists():
        InvoiceSeries.objects.create(organisation=Organisation.objects.get(), code="F", prefix="F{year}-", digits=6)
    pre = PreInvoice.objects.order_by("-total_including_vat").first()
    log_in(page)

    # Validate the largest pre-invoice: it becomes a numbered invoice.
    page.goto(f"{page.base_url}/billing/pre-invoices/{pre.pk}/")
    page.click("[data-test=validate]")
    confirm(page, says="seul un avoir peut l'annuler")
    expect(page.locator("h1")).to_contain_text(re.compile(r"F\d{4}-\d{6}"))

    # Post it, then look at the aged balance: the invoice is due.
    page.click("[data-test=post]")
    confirm(page, says="FEC")
    expect(page.locator("[data-test=state]")).to_have_text("comptabilisée")
    page.click("nav a[href*=aged]")
    before = page.locator("[data-test=aged-total]").inner_text()
    assert before != "0,00\xa0€"

    # Record the payment of the whole amount due.
    page.go_back()
    page.locator("[data-test=pay] button").click()
    expect(page.locator("[data-test=state]")).to_have_text("payée")
    screenshot(page, "invoice-paid.png")

    # The aged balance has moved down by the invoice's amount.
    page.locator("nav a[href*=aged]").click()
    after = page.locator("[data-test=aged-total]").inner_text()
    assert after != before
