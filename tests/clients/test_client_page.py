"""The client's page shows its account: its invoices with what is left to pay of each, what it owes in all, its
deposits with money left and its current drafts, in a number of queries that does not grow with them."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from prebill.accounting.services import post_invoice
from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.invoicing import services as invoicing
from prebill.payments import services as payments
from tests import factories as f

pytestmark = pytest.mark.django_db


def invoiced(client, amounts: list[str], month: int = 11) -> list:
    for amount in amounts:
        f.fixed_fee_part(f.engagement(client), installments=[(date(2026, month, 28), amount)])
    run_pre_billing(period=Period(2026, month))
    invoices = [invoicing.validate_pre_invoice(pre_invoice_id=pk, issue_date=date(2026, month, 28))
                for pk in PreInvoice.objects.filter(client=client).order_by("total_including_vat")
                .values_list("pk", flat=True)]
    for invoice in invoices:
        post_invoice(invoice_id=invoice.pk)
    return invoices


def rows(body: str, table: str) -> list[str]:
    section = re.search(rf'<table data-test="{table}">(.*?)</table>', body, re.S).group(1)
    return [re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
            for row in re.findall(r"<tr data-[a-z]+=.*?</tr>", section, re.S)]


def test_the_page_shows_its_invoices_what_it_owes_its_deposits_and_its_drafts(client, user_with, firm):
    acme = f.client(code="ACME")
    small, large = invoiced(acme, ["50.00", "100.00"])  # 60.00 and 120.00 incl. VAT
    payments.record_payment(client_id=acme.pk, day=date(2026, 12, 5), method="transfer", amount=Decimal("60.00"),
                            allocations={small.pk: Decimal("60.00")})
    payments.record_payment(client_id=acme.pk, day=date(2026, 12, 6), method="cheque", amount=Decimal("30.00"),
                            reference="ACOMPTE")
    f.fixed_fee_part(f.engagement(acme), installments=[(date(2026, 12, 31), "200.00")])
    run_pre_billing(period=Period(2026, 12))
    draft = PreInvoice.objects.get(client=acme)
    other = f.client(code="OTHER")
    invoiced(other, ["999.00"])  # another client's invoice is not on the page
    client.force_login(user_with("collections"))

    body = client.get("/clients/ACME/").content.decode()

    # Newest first (same day: the larger number first), each with what is left to pay of it.
    assert rows(body, "invoices") == [
        f"{large.number} 28/11/2026 {large.due_date:%d/%m/%Y} 120,00\u00a0€ 120,00\u00a0€",
        f"{small.number} 28/11/2026 {small.due_date:%d/%m/%Y} 60,00\u00a0€ 0,00\u00a0€"]
    assert re.search(r'data-test="owed">120,00\u00a0€<', body)
    # The one with money left, which collections may cancel (recorded by mistake: the payment undo).
    assert rows(body, "deposits") == ["06/12/2026 ACOMPTE 30,00\u00a0€ 30,00\u00a0€ Annuler le règlement"]
    assert re.search(r'data-test="deposits-left">30,00\u00a0€<', body)
    assert f'href="/billing/pre-invoices/{draft.pk}/"' in body
    assert rows(body, "drafts") == [f"décembre 2026 #{draft.pk} 31/12/2026 200,00\u00a0€ 240,00\u00a0€"]


def test_a_credit_note_lowers_what_the_invoice_owes(client, user_with, firm):
    acme = f.client(code="ACME")
    (invoice,) = invoiced(acme, ["100.00"])
    invoicing.issue_credit_note(invoice_id=invoice.pk, rebill=False, issue_date=date(2026, 11, 30))
    client.force_login(user_with("accountant"))

    body = client.get("/clients/ACME/").content.decode()

    assert re.search(r'data-test="owed">0,00\u00a0€<', body)
    assert body.count("<tr data-invoice=") == 2 and "avoir" in body


def test_the_page_reads_in_a_number_of_queries_that_does_not_grow(client, user_with, firm,
                                                                  django_assert_max_num_queries):
    acme = f.client(code="ACME")
    invoiced(acme, ["10.00"], month=10)
    payments.record_payment(client_id=acme.pk, day=date(2026, 12, 6), method="cheque", amount=Decimal("30.00"))
    client.force_login(user_with("collections"))
    client.get("/clients/ACME/")  # the session and the firm's settings are read once

    with CaptureQueriesContext(connection) as one:
        client.get("/clients/ACME/")
    invoiced(acme, ["20.00", "30.00", "40.00", "50.00"], month=11)
    f.fixed_fee_part(f.engagement(acme), installments=[(date(2026, 12, 31), "5")])
    f.fixed_fee_part(f.engagement(acme), installments=[(date(2026, 12, 31), "6")])
    run_pre_billing(period=Period(2026, 12))
    assert PreInvoice.objects.filter(client=acme).count() >= 1

    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get("/clients/ACME/")
    assert page.content.decode().count("<tr data-invoice=") == 5
