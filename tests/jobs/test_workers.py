"""Real `prebill worker` processes on Redis and PostgreSQL: jobs complete, survive `kill -9` of a worker, and a
job left by a stopped worker is shown interrupted and resumes to the same result.

PostgreSQL only: workers on several machines share a PostgreSQL database (SQLite is the embedded one-machine
mode, tested in tests/jobs/test_embedded.py). Redis is started by `make test` (scripts/ensure-redis.sh).
"""

import io
import os
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.db import connection

from prebill.billing.models import BillingRun, PreInvoice
from prebill.billing.services import resume_pre_billing, run_pre_billing, start_pre_billing
from prebill.core.periods import Period
from prebill.documents.models import DocumentBatch, IssuedDocument
from prebill.documents.services import start_batch, zip_path
from prebill.invoicing.models import Invoice
from prebill.invoicing.validations import start_validations
from prebill.jobs.models import Job
from tests import factories as f
from tests.invoicing.test_run_and_validations import database_url

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql",
                                reason="PostgreSQL only: workers on several machines share a PostgreSQL database")
NOV = Period(2026, 11)
PREBILL = Path(sys.executable).with_name("prebill")
REDIS = "redis://127.0.0.1:6379/3"
TIMING = {"PREBILL_JOB_HEARTBEAT_SECONDS": "0.3", "PREBILL_JOB_STALE_SECONDS": "3", "PREBILL_JOB_SWEEP_SECONDS": "0.5"}


@pytest.fixture
def queue(settings, unfreeze_after, tmp_path):
    """This test's own Redis queue; jobs go to workers, not inline."""
    name = f"prebill-test-{uuid.uuid4().hex[:8]}"
    settings.PREBILL_RUNS_INLINE = False
    settings.PREBILL_BROKER_URL, settings.PREBILL_QUEUE = REDIS, name
    settings.PREBILL_JOB_STALE_AFTER = timedelta(seconds=int(TIMING["PREBILL_JOB_STALE_SECONDS"]))
    settings.PREBILL_FILES_DIR = tmp_path / "files"
    return name


@pytest.fixture
def workers(queue, settings, tmp_path):
    """Start `prebill worker` processes on the test database and this test's queue; all killed at the end."""
    started: list[subprocess.Popen] = []

    def start(count: int = 1, **env: str) -> list[subprocess.Popen]:
        for _ in range(count):
            n = len(started)
            environment = os.environ | TIMING | env | {
                "PREBILL_DATABASE_URL": database_url(), "PREBILL_BROKER_URL": REDIS, "PREBILL_QUEUE": queue,
                "PREBILL_FILES_DIR": str(settings.PREBILL_FILES_DIR), "PREBILL_RUNS_INLINE": "0"}
            log = (tmp_path / f"worker-{n}.log").open("w")
            started.append(subprocess.Popen([str(PREBILL), "worker", "--name", f"w{n}@test"], env=environment,
                                            stdout=log, stderr=subprocess.STDOUT))
        return started[-count:]

    yield start
    for process in started:
        process.kill()
        process.wait(timeout=10)


def until(condition, timeout: float = 90, what: str = "the job") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not finish in {timeout} s")
        time.sleep(0.1)


def job_state(job_id: int) -> str:
    return Job.objects.get(pk=job_id).state


def holder(job_id: int, processes: list[subprocess.Popen]) -> subprocess.Popen:
    """The worker process holding the job (its pid is in the job's token host:pid:nonce)."""
    pid = int(Job.objects.get(pk=job_id).worker.split(":")[1])
    return next(p for p in processes if p.pid == pid)


def portfolio(clients: int) -> None:
    collaborator = f.collaborator()
    for n in range(clients):
        engagement = f.engagement(f.client(), all_parts_on_one_invoice=True)
        f.fixed_fee_part(engagement, installments=[(NOV.last_day, f"{100 + n}.00")])
        f.time_part(engagement)
        for day in range(2, 7):
            f.time_entry(collaborator, engagement, date(2026, 11, day), "1.5")


def drafts() -> list[tuple]:
    return sorted(PreInvoice.objects.values_list("client_id", "document_key", "total_including_vat", "content_hash"))


def test_a_run_completes_on_two_workers_and_two_starts_give_one_job(firm, workers):
    portfolio(20)
    workers(2)

    first, second = start_pre_billing(period=NOV), start_pre_billing(period=NOV)
    until(lambda: job_state(first.job_id) == "done")

    assert first.pk == second.pk and Job.objects.filter(kind="run_month").count() == 1
    run = BillingRun.objects.get(pk=first.pk)
    assert run.status == "done" and run.summary["pre_invoices"] == 20 == PreInvoice.objects.count()
    assert run_pre_billing(period=NOV).drafts_changed == 0  # what an uninterrupted run gives


def test_a_worker_killed_during_a_run_leaves_it_to_the_other_with_the_same_drafts(firm, workers):
    portfolio(60)
    processes = workers(2)
    run = start_pre_billing(period=NOV)
    until(lambda: Job.objects.get(pk=run.job_id).state == "running", what="the claim")

    os.kill(holder(run.job_id, processes).pid, signal.SIGKILL)
    until(lambda: job_state(run.job_id) == "done", what="the run taken again")

    job = Job.objects.get(pk=run.job_id)
    assert job.attempts == 2 and BillingRun.objects.get(pk=run.pk).status == "done"
    kept = drafts()
    assert len(kept) == 60 and run_pre_billing(period=NOV).drafts_changed == 0 and drafts() == kept


def fixed_fees(clients: int) -> list[int]:
    """`clients` invoices of November, validated as one job here (their documents left to the batch)."""
    for n in range(clients):
        f.fixed_fee_part(f.engagement(f.client()), installments=[(NOV.last_day, f"{100 + n}.00")])
    run_pre_billing(period=NOV)
    drafts = [(pk, None) for pk in PreInvoice.objects.order_by("pk").values_list("pk", flat=True)]
    job = start_validations(drafts=drafts, issue_date=NOV.last_day, here=True)
    return [Invoice.objects.get(number=done["number"]).pk for done in job.result["validated"]]


def test_a_500_document_batch_is_shared_by_two_workers_and_survives_one_killed(firm, workers, monkeypatch):
    monkeypatch.setattr("prebill.documents.receivers.later", lambda *args: None)  # the batch renders them
    invoices = fixed_fees(500)
    # Rendering keeps both cores busy: a heartbeat late by a few seconds must not pass for a stopped worker.
    processes = workers(2, PREBILL_BATCH_CHUNK="25", PREBILL_JOB_STALE_SECONDS="15")

    batch = start_batch(invoice_ids=invoices, label="November")
    until(lambda: DocumentBatch.objects.get(pk=batch.pk).done >= 150, timeout=240, what="the first documents")
    os.kill(holder(batch.job_id, processes).pid, signal.SIGKILL)  # the worker assembling the batch
    until(lambda: job_state(batch.job_id) == "done", timeout=420, what="the batch taken again")

    batch.refresh_from_db()
    with zipfile.ZipFile(io.BytesIO(zip_path(batch).read_bytes())) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    kept = {f"{d.invoice.number}.pdf": bytes(d.content)
            for d in IssuedDocument.objects.filter(kind="pdf").select_related("invoice")}
    assert len(contents) == 500 == batch.done and contents == kept  # what an uninterrupted batch gives
    chunks = Job.objects.filter(kind="document_chunk")
    assert chunks.count() == 20 and set(chunks.values_list("state", flat=True)) == {"done"}
    renderers = {token.split(":")[1] for token in chunks.values_list("worker", flat=True)}
    assert renderers == {str(p.pid) for p in processes}  # both workers rendered chunks
    assert Job.objects.get(pk=batch.job_id).attempts == 2


def test_validations_on_two_workers_are_numbered_in_order_without_gap(firm, workers):
    for n in range(40):
        f.fixed_fee_part(f.engagement(f.client()), installments=[(NOV.last_day, f"{100 + n}.00")])
    run_pre_billing(period=NOV)
    drafts = list(PreInvoice.objects.order_by("pk").values_list("pk", flat=True))
    workers(2)

    jobs = [start_validations(drafts=[(pk, None) for pk in half], issue_date=NOV.last_day)
            for half in (drafts[::2], list(reversed(drafts[1::2])))]
    for job in jobs:
        until(lambda job=job: job_state(job.pk) == "done", what="the validations")

    for job in Job.objects.filter(pk__in=[j.pk for j in jobs]):
        numbers = [done["number"] for done in job.result["validated"]]
        assert len(numbers) == 20 and numbers == sorted(numbers) and job.result["refused"] == []
    sequences = sorted(Invoice.objects.values_list("sequence", flat=True))
    assert sequences == list(range(sequences[0], sequences[0] + 40))


def test_a_job_left_by_a_stopped_worker_is_interrupted_and_resumes_to_the_same_drafts(firm, workers, settings):
    portfolio(40)
    [lonely] = workers(1, PREBILL_JOB_ATTEMPTS="1")
    run = start_pre_billing(period=NOV)
    until(lambda: Job.objects.get(pk=run.job_id).state == "running", what="the claim")
    lonely.kill()  # as a web server's embedded worker killed during a run
    lonely.wait()

    until(lambda: BillingRun.objects.select_related("job").get(pk=run.pk).shown_status == "interrupted",
          timeout=20, what="the interruption")
    workers(1, PREBILL_JOB_ATTEMPTS="1")  # a worker again: the job waits for a user (its attempts are spent)
    time.sleep(2)
    assert BillingRun.objects.select_related("job").get(pk=run.pk).shown_status == "interrupted"

    resume_pre_billing(BillingRun.objects.select_related("job").get(pk=run.pk))
    until(lambda: job_state(run.job_id) == "done", what="the resumed run")
    assert PreInvoice.objects.count() == 40 and run_pre_billing(period=NOV).drafts_changed == 0
