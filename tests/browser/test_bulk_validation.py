"""The clerk validates the month from its page: one selection, one confirmation, a progress bar, a summary."""

from datetime import date

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import expect

from prebill.billing.models import PreInvoice, RemovedDraft
from prebill.demo.loader import load_demo
from prebill.invoicing.models import Invoice
from prebill.organisation.models import InvoiceSeries, Organisation

from .conftest import TODAY, confirm, log_in, screenshot


@pytest.fixture
def month_of_200(transactional_db, unfreeze_after):
    """The demo's 200 clients, their month run, and a clerk who validates."""
    load_demo(clients=200, seed=5, today=TODAY)
    if not InvoiceSeries.objects.exists():
        InvoiceSeries.objects.create(organisation=Organisation.objects.get(), code="F", prefix="F{year}-", digits=6)
    user = User.objects.create_user(username="claire", password="facturation-2026", first_name="Claire")
    for role in ("preparer", "validator"):
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def test_validate_every_pre_invoice_the_filters_show_in_one_go(page, month_of_200):
    period = date(TODAY.year, TODAY.month, 1)
    drafts = PreInvoice.objects.filter(period=period)
    count, total = drafts.count(), sum(d.total_including_vat for d in drafts)
    assert count >= 200
    log_in(page)
    page.goto(f"{page.base_url}/billing/{period:%Y-%m}/")

    bulk = page.locator("[data-test=bulk]")
    expect(bulk.locator("[data-test=validate-selection]")).to_be_disabled()  # nothing ticked yet
    bulk.locator("[data-test=all-shown]").check()
    expect(bulk.locator("[data-selected-count]")).to_have_text(str(count))
    bulk.locator("[data-test=validate-selection]").click()
    confirm(page, says=f"{count} préfacture(s) deviennent des factures")

    summary = page.locator("[data-test=validations]")
    expect(summary).to_have_attribute("data-state", "done", timeout=300_000)
    expect(summary.locator("progress")).to_be_visible()
    expect(summary.locator("[data-test=progress]")).to_have_text(f"{count} / {count}")
    refused = summary.locator("[data-test=refused] tbody tr")
    invoices = Invoice.objects.filter(kind=Invoice.Kind.INVOICE)
    assert invoices.count() + refused.count() == count
    expect(summary.locator("[data-test=summary]")).to_contain_text(f"{invoices.count()} factures validées")
    assert invoices.count() > 0
    # Each invoice is dated its draft's own date (the month's), and they were numbered in that order.
    numbers = list(invoices.order_by("sequence").values_list("issue_date", flat=True))
    assert numbers == sorted(numbers)
    if not refused.count():
        assert sum(i.total_including_vat for i in invoices) == total


def test_validate_the_ticked_pre_invoices_only(page, demo, unfreeze_after):
    demo.groups.add(Group.objects.get_or_create(name="validator")[0])
    if not InvoiceSeries.objects.exists():
        InvoiceSeries.objects.create(organisation=Organisation.objects.get(), code="F", prefix="F{year}-", digits=6)
    period = date(TODAY.year, TODAY.month, 1)
    log_in(page)
    page.goto(f"{page.base_url}/billing/{period:%Y-%m}/")

    boxes = page.locator("[data-test=select]")
    boxes.nth(0).check()
    boxes.nth(2).check()
    chosen = [int(boxes.nth(i).get_attribute("value").split("@")[0]) for i in (0, 2)]
    expected = sum(PreInvoice.objects.get(pk=pk).total_including_vat for pk in chosen)
    expect(page.locator("[data-selected-count]")).to_have_text("2")
    screenshot(page, "month-selection.png")
    page.click("[data-test=validate-selection]")
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_contain_text("2 préfacture(s)")
    expect(dialog).to_contain_text(f"{expected:.2f}".replace(".", ","))
    dialog.locator("[data-test=confirm-no]").click()
    assert not Invoice.objects.exists()

    page.click("[data-test=validate-selection]")
    confirm(page)
    expect(page.locator("[data-test=validations]")).to_have_attribute("data-state", "done", timeout=60_000)
    made = dict(RemovedDraft.objects.filter(why=RemovedDraft.Why.VALIDATED).values_list("pre_invoice_id",
                                                                                         "invoice_number"))
    assert set(made) == set(chosen)
    assert sum(Invoice.objects.filter(number__in=made.values()).values_list("total_including_vat", flat=True)) \
        == expected
