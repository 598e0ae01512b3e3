"""The journal: entries numbered from a locked counter, without gap, and never changed nor deleted once written."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from django.db import DatabaseError, connection, transaction

from prebill.accounting import services as accounting
from prebill.accounting.models import JournalCounter, JournalEntry, JournalLine
from prebill.accounting.services import post_invoice
from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.invoicing.services import issue_credit_note, validate_pre_invoice
from prebill.organisation.models import Organisation
from tests import factories as f

pytestmark = pytest.mark.django_db
ISSUED = date(2026, 11, 30)


def invoices(count: int) -> list[int]:
    for n in range(count):
        f.fixed_fee_part(f.engagement(f.client()), installments=[(ISSUED, f"{100 + n}.00")])
    run_pre_billing(period=Period(2026, 11))
    return [validate_pre_invoice(pre_invoice_id=pk, issue_date=ISSUED).pk
            for pk in PreInvoice.objects.order_by("pk").values_list("pk", flat=True)]


def test_journal_numbers_are_contiguous_after_several_postings(firm):
    ids = invoices(5)

    entries = [post_invoice(invoice_id=pk) for pk in ids]
    note = issue_credit_note(invoice_id=ids[0], rebill=False, issue_date=date(2026, 12, 1))
    entries.append(post_invoice(invoice_id=note.pk))

    assert [entry.number for entry in entries] == [1, 2, 3, 4, 5, 6]
    assert list(JournalEntry.objects.order_by("number").values_list("number", flat=True)) == list(range(1, 7))
    assert JournalCounter.objects.get(journal="VE").last_number == 6
    assert str(entries[-1]) == "VE000006"


def test_each_journal_has_its_own_counter(firm):
    first, second = invoices(2)
    post_invoice(invoice_id=first)
    Organisation.objects.update(sales_journal="VT")

    entry = post_invoice(invoice_id=second)

    assert (entry.journal, entry.number) == ("VT", 1)
    assert dict(JournalCounter.objects.values_list("journal", "last_number")) == {"VE": 1, "VT": 1}


def test_a_refused_posting_loses_no_number(firm):
    first, second = invoices(2)
    post_invoice(invoice_id=first)

    with pytest.raises(Exception, match="posted cannot become posted"):
        post_invoice(invoice_id=first)
    entry = post_invoice(invoice_id=second)

    assert entry.number == 2 and JournalCounter.objects.get().last_number == 2


def test_posting_takes_the_journal_lock_first(firm, monkeypatch):
    [pk] = invoices(1)
    calls = []
    monkeypatch.setattr(accounting, "journal_lock", lambda: calls.append(connection.in_atomic_block))

    post_invoice(invoice_id=pk)

    assert calls == [True]


@pytest.mark.parametrize("statement", [
    "UPDATE accounting_journalentry SET number = 99",
    "UPDATE accounting_journalentry SET label = 'edited'",
    "DELETE FROM accounting_journalentry",
    "UPDATE accounting_journalline SET debit = 0",
    "UPDATE accounting_journalline SET account = '999999'",
    "DELETE FROM accounting_journalline",
])
def test_a_journal_entry_and_its_lines_are_never_changed_nor_deleted(firm, statement):
    [pk] = invoices(1)
    entry = post_invoice(invoice_id=pk)
    before = list(JournalLine.objects.filter(entry=entry).values_list("account", "debit", "credit"))

    with pytest.raises(DatabaseError, match="never change"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)

    assert JournalEntry.objects.get(pk=entry.pk).number == 1
    assert list(JournalLine.objects.filter(entry=entry).values_list("account", "debit", "credit")) == before


def test_the_orm_cannot_change_an_entry_either(firm):
    [pk] = invoices(1)
    entry = post_invoice(invoice_id=pk)
    entry.label = "edited"

    with pytest.raises(DatabaseError, match="never change"), transaction.atomic():
        entry.save()
    with pytest.raises(DatabaseError, match="never change"), transaction.atomic():
        JournalLine.objects.filter(entry=entry).delete()


def post(invoice_id: int) -> int:
    try:
        return post_invoice(invoice_id=invoice_id).number
    finally:
        connection.close()  # each worker thread has its own connection


@pytest.mark.django_db(transaction=True)
def test_four_workers_posting_at_once_give_contiguous_numbers(unfreeze_after, firm):
    ids = invoices(12)

    with ThreadPoolExecutor(max_workers=4) as pool:
        numbers = list(pool.map(post, ids))

    assert sorted(numbers) == list(range(1, 13))
    assert JournalCounter.objects.get().last_number == 12
