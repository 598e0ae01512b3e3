"""Legally irreversible acts ask first, in French, and say what cannot be undone; the invoice date is chosen."""

import re
from datetime import date

from django.contrib.auth.models import Group
from playwright.sync_api import expect

from prebill.billing.models import BillingRun, PreInvoice
from prebill.invoicing.models import Invoice
from prebill.organisation.models import InvoiceSeries, Organisation

from .conftest import confirm, log_in, screenshot


def _validator(demo):
    demo.groups.add(Group.objects.get_or_create(name="validator")[0])
    if not InvoiceSeries.objects.exists():
        InvoiceSeries.objects.create(organisation=Organisation.objects.get(), code="F", prefix="F{year}-", digits=6)


def test_validating_asks_first_and_cancelling_the_dialog_validates_nothing(page, demo, unfreeze_after):
    _validator(demo)
    draft = PreInvoice.objects.filter(invoice_date__lte=date.today()).order_by("-total_including_vat").first()
    log_in(page)
    page.goto(f"{page.base_url}/billing/pre-invoices/{draft.pk}/")

    # The date proposed is the draft's own (it has come).
    expect(page.locator("[data-test=issue-date]")).to_have_value(draft.invoice_date.isoformat())
    page.click("[data-test=validate]")
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("h2")).to_have_text("Valider en facture ?")
    expect(dialog).to_contain_text("ne peut plus être modifiée ni supprimée")
    screenshot(page, "confirmation.png")
    dialog.locator("[data-test=confirm-no]").click()

    expect(dialog).to_be_hidden()
    assert not Invoice.objects.exists()
    assert PreInvoice.objects.filter(pk=draft.pk).exists()


def test_the_clerk_dates_the_invoice_and_confirms(page, demo, unfreeze_after):
    _validator(demo)
    draft = PreInvoice.objects.filter(invoice_date__lte=date.today()).order_by("-total_including_vat").first()
    chosen = date.today()
    log_in(page)
    page.goto(f"{page.base_url}/billing/pre-invoices/{draft.pk}/")

    page.fill("[data-test=issue-date]", chosen.isoformat())
    page.click("[data-test=validate]")
    confirm(page, says="reçoit son numéro définitif")

    expect(page.locator("h1")).to_contain_text(re.compile(r"F\d{4}-\d{6}"))
    invoice = Invoice.objects.get()
    assert invoice.issue_date == chosen
    assert invoice.total_including_vat == draft.total_including_vat


def test_running_the_month_again_asks_first(page, demo, unfreeze_after):
    log_in(page)
    period = PreInvoice.objects.order_by("period").values_list("period", flat=True).first()
    page.goto(f"{page.base_url}/billing/{period:%Y-%m}/")
    versions = dict(PreInvoice.objects.values_list("pk", "version"))
    former = BillingRun.objects.latest("pk").pk

    page.click("button:text-is(\"Relancer le mois\")")
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_contain_text("Les factures déjà validées ne sont pas touchées")
    dialog.locator("[data-test=confirm-no]").click()
    expect(dialog).to_be_hidden()
    page.click("button:text-is(\"Relancer le mois\")")
    confirm(page)

    # The page said "finished" already, of the former run: wait for the new one's word.
    new_run = page.locator(f".run-status:not([data-run='{former}'])")
    expect(new_run).to_contain_text("Dernier lancement terminé", timeout=30_000)
    assert dict(PreInvoice.objects.values_list("pk", "version")) == versions  # nothing changed: same drafts
