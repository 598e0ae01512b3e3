"""The invoices list: what is left to pay of each, the state it is in (paid, partly paid, credited,
transmitted), its filters, and the selection its bulk actions take."""

from datetime import date
from decimal import Decimal as D

import pytest

from prebill.accounting.models import JournalEntry
from prebill.accounting.services import post_invoice
from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.documents.models import DocumentBatch
from prebill.invoicing.models import Invoice
from prebill.invoicing.services import issue_credit_note, validate_pre_invoice
from prebill.payments.services import pay_invoice
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def four(firm, settings, tmp_path):
    """Four invoices of 120.00 incl. VAT: one left validated, one posted, one partly paid, one paid, and the
    posted one dated in October, then credited in full."""
    settings.PREBILL_FILES_DIR = tmp_path
    for _ in range(4):
        f.fixed_fee_part(f.engagement(f.client()), installments=[(date(2026, 11, 30), "100.00")])
    run_pre_billing(period=Period(2026, 11))
    drafts = PreInvoice.objects.order_by("pk").values_list("pk", flat=True)
    invoices = [validate_pre_invoice(pre_invoice_id=pk, issue_date=date(2026, 11, 30)) for pk in drafts]
    validated, posted, partly, paid = invoices
    for invoice in (posted, partly, paid):
        post_invoice(invoice_id=invoice.pk)
    pay_invoice(invoice=partly, day=date(2026, 12, 1), method="transfer", amount=D("20.00"))
    pay_invoice(invoice=paid, day=date(2026, 12, 1), method="transfer", amount=D("120.00"))
    note = issue_credit_note(invoice_id=posted.pk, quantities=None, rebill=False, issue_date=date(2026, 12, 2))
    return {"validated": validated, "credited": posted, "partly_paid": partly, "paid": paid, "note": note}


def listed(client, **query) -> dict[str, tuple[str, str]]:
    page = client.get("/invoices/", query)
    return {i.number: (i.shown_state, i.shown_state_label) for i in page.context["page"]}


def test_each_invoice_shows_its_state_and_what_is_left_to_pay(client, user_with, four):
    client.force_login(user_with("collections"))
    page = client.get("/invoices/")

    states = {i.number: i.shown_state_label for i in page.context["page"]}
    assert states[four["validated"].number] == "validée" and states[four["paid"].number] == "payée"
    assert states[four["partly_paid"].number] == "partiellement payée"
    assert states[four["credited"].number] == "avoir total"
    html = page.content.decode()
    assert "100,00\u00a0€" in html  # the partly paid one owes 100.00 of its 120.00


@pytest.mark.parametrize("state", ["paid", "partly_paid", "credited"])
def test_the_state_filter_keeps_the_invoices_in_that_state(client, user_with, four, state):
    client.force_login(user_with("collections"))

    assert list(listed(client, state=state)) == [four[state].number]


def test_not_posted_yet_are_the_invoice_and_the_credit_note_left_validated(client, user_with, four):
    client.force_login(user_with("collections"))

    assert set(listed(client, state="validated")) == {four["validated"].number, four["note"].number}


def test_the_date_filters_keep_the_invoices_issued_between_them(client, user_with, four):
    client.force_login(user_with("collections"))

    assert list(listed(client, **{"from": "2026-12-01"})) == [four["note"].number]
    assert len(listed(client, to="2026-11-30")) == 4
    assert len(listed(client, **{"from": "01/11/2026", "to": "30/11/2026"})) == 4


def test_the_selection_is_downloaded_as_one_zip(client, user_with, four):
    client.force_login(user_with("validator"))

    started = client.post("/documents/batches/", {"number": [four["paid"].number, four["note"].number]})

    batch = DocumentBatch.objects.get()
    assert started["Location"] == f"/documents/batches/{batch.pk}/" and batch.total == 2


def test_all_that_the_filters_show_is_posted_in_one_job(client, user_with, four):
    client.force_login(user_with("accountant"))

    started = client.post("/accounting/invoices/post/", {"scope": "filters", "state": "validated",
                                                          "expected_count": "2"})
    summary = client.get(started["Location"])

    assert JournalEntry.objects.filter(invoice__in=[four["validated"], four["note"]]).count() == 2
    assert "2 factures comptabilisées" in summary.content.decode()
    assert Invoice.objects.get(pk=four["validated"].pk).state == "posted"


def test_an_empty_selection_is_refused(client, user_with, four):
    client.force_login(user_with("accountant"))

    answer = client.post("/accounting/invoices/post/", {}, follow=True)

    assert "Cochez les factures" in answer.content.decode()


def test_the_list_makes_as_many_queries_for_fifty_invoices_as_for_five(client, user_with, four):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(user_with("collections"))
    with CaptureQueriesContext(connection) as few:
        client.get("/invoices/")
    for _ in range(45):
        f.fixed_fee_part(f.engagement(f.client()), installments=[(date(2026, 11, 30), "10.00")])
    run_pre_billing(period=Period(2026, 11))
    for pk in PreInvoice.objects.values_list("pk", flat=True):
        validate_pre_invoice(pre_invoice_id=pk, issue_date=date(2026, 11, 30))
    with CaptureQueriesContext(connection) as many:
        page = client.get("/invoices/")

    assert len(page.context["page"]) == 50
    assert len(many) == len(few)
