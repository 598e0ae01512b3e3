"""Validating many drafts as one job: numbered in the order asked, a refusal stops only its draft, a job taken
again after its worker stopped validates nothing twice; the command line goes through the same job."""

from datetime import date

import pytest
from django.utils import translation

from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.cli.commands import dispatch
from prebill.core.periods import Period
from prebill.invoicing.models import Invoice
from prebill.invoicing.validations import _validate_drafts, start_validations
from prebill.jobs.models import Job
from tests import factories as f

pytestmark = pytest.mark.django_db
ISSUED = date(2026, 11, 30)


@pytest.fixture
def drafts(firm) -> list[PreInvoice]:
    for n in range(4):
        f.fixed_fee_part(f.engagement(f.client()), installments=[(ISSUED, f"{100 + n}.00")])
    run_pre_billing(period=Period(2026, 11))
    return list(PreInvoice.objects.order_by("pk"))


def test_drafts_are_numbered_in_the_order_asked_and_a_refusal_stops_only_its_draft(drafts):
    first, second, third, fourth = drafts
    asked = [(fourth.pk, fourth.version), (second.pk, second.version + 1), (first.pk, None), (third.pk, None)]

    with translation.override("fr"):
        job = start_validations(drafts=asked, issue_date=ISSUED)

    assert job.state == "done" and (job.done, job.total) == (4, 4)
    numbers = [done["number"] for done in job.result["validated"]]
    assert [done["pre_invoice"] for done in job.result["validated"]] == [fourth.pk, first.pk, third.pk]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3
    sequences = list(Invoice.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == [sequences[0], sequences[0] + 1, sequences[0] + 2]  # no gap for the refused one
    [refused] = job.result["refused"]
    assert refused["pre_invoice"] == second.pk and "a changé depuis que vous l'avez vue" in refused["reason"]
    assert Invoice.objects.get(number=numbers[0]).total_including_vat == fourth.total_including_vat
    assert PreInvoice.objects.filter(pk=second.pk).exists()


def test_a_job_taken_again_validates_nothing_twice(drafts):
    job = start_validations(drafts=[(d.pk, None) for d in drafts], issue_date=ISSUED)
    first_time = job.result

    again = _validate_drafts(Job.objects.get(pk=job.pk), lambda *args, **kwargs: None)  # as a retaken job does

    assert again == first_time and again["refused"] == [] and Invoice.objects.count() == 4


def test_the_same_request_while_it_runs_gives_the_same_job(drafts, settings):
    settings.PREBILL_RUNS_INLINE = False  # nothing runs it: it stays queued
    settings.PREBILL_BROKER_URL = "memory://"
    asked = [(d.pk, None) for d in drafts]

    first, second = (start_validations(drafts=asked, issue_date=ISSUED) for _ in range(2))
    other = start_validations(drafts=asked[:2], issue_date=ISSUED)

    assert first.pk == second.pk != other.pk and first.state == "queued"


def test_the_command_line_validates_through_the_job(drafts, capsys):
    first, second = drafts[:2]

    with translation.override("en"):
        code = dispatch(["validate", f"{first.pk}", f"{second.pk}@{second.version + 5}", "--date", "2026-11-30"])

    out, err = capsys.readouterr()
    assert code == 2 and Job.objects.filter(kind="validate_drafts", state="done").count() == 1
    assert f"pre-invoice {first.pk} -> " in out and f"pre-invoice {second.pk}:" in err
    assert Invoice.objects.count() == 1
