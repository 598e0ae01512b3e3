"""Posting many invoices as one job: each in its own transaction, one refused does not stop the others, a job
taken again writes no entry twice; the command line goes through the same job."""

import pytest
from django.utils import translation

from prebill.accounting.models import JournalEntry
from prebill.accounting.services import _post_invoices, post_invoice, start_posting
from prebill.cli.commands import dispatch
from prebill.invoicing.models import Invoice
from prebill.jobs.models import Job
from tests.accounting.test_journal_frozen import invoices

pytestmark = pytest.mark.django_db


def test_invoices_are_posted_in_order_and_one_posted_already_is_refused_alone(firm):
    first, second, third = invoices(3)
    post_invoice(invoice_id=second)

    with translation.override("fr"):  # the refusals are in the language of who asked
        job = start_posting(invoice_ids=[third, second, first])

    numbers = dict(Invoice.objects.values_list("pk", "number"))
    assert job.state == "done" and [p["number"] for p in job.result["posted"]] == [numbers[third], numbers[first]]
    assert [p["entry"] for p in job.result["posted"]] == ["VE000002", "VE000003"]
    [refused] = job.result["refused"]
    assert refused["number"] == numbers[second] and "comptabilisée ne peut pas devenir" in refused["reason"]
    assert set(Invoice.objects.values_list("state", flat=True)) == {"posted"}


def test_a_posting_job_taken_again_writes_no_entry_twice(firm):
    ids = invoices(2)
    job = start_posting(invoice_ids=ids)

    again = _post_invoices(Job.objects.get(pk=job.pk), lambda *args, **kwargs: None)

    assert again == job.result and again["refused"] == [] and JournalEntry.objects.count() == 2


def test_the_command_line_posts_through_the_job(firm, capsys):
    first, second = invoices(2)
    number = Invoice.objects.get(pk=first).number

    with translation.override("en"):
        code = dispatch(["post", number, "F-NOPE"])

    out, err = capsys.readouterr()
    assert code == 2 and f"{number} posted as VE000001" in out and "F-NOPE" in err
    assert Job.objects.filter(kind="post_invoices", state="done").count() == 1
    assert Invoice.objects.get(pk=second).state == "validated"
