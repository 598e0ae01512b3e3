"""Background jobs' rows: one active job per kind and key, claims, heartbeats, interruption and resumption.

These run the work inline (as the test settings do); tests/jobs/test_workers.py runs real workers."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import Client as HttpClient
from django.utils import timezone

from prebill.api.models import ApiToken
from prebill.billing.models import BillingRun, PreInvoice
from prebill.billing.services import resume_pre_billing, start_pre_billing
from prebill.core.periods import Period
from prebill.jobs import services
from prebill.jobs.models import Job
from tests import factories as f

pytestmark = pytest.mark.django_db
NOV = Period(2026, 11)
calls = []


@services.handler("test_counting")
def counting(job, progress):
    calls.append(job.pk)
    progress("counting", done=3, total=3)
    if job.params.get("fail"):
        raise RuntimeError("broken on purpose")
    return {"counted": 3}


@pytest.fixture(autouse=True)
def _no_calls():
    calls.clear()


def stopped_beating(job: Job, attempts: int = 1) -> Job:
    """The job as a killed worker leaves it: running, its last beat long ago."""
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, attempts=attempts, worker="gone:1:dead",
                                         heartbeat_at=timezone.now() - timedelta(minutes=10))
    job.refresh_from_db()
    return job


def test_a_job_runs_once_and_keeps_its_result_and_progress():
    job = services.start_job(kind="test_counting", key="a")

    assert (job.state, job.result, job.done, job.total, job.attempts) == ("done", {"counted": 3}, 3, 3, 1)
    assert calls == [job.pk] and job.finished_at is not None


def test_a_failed_job_says_why_and_resumes():
    job = services.start_job(kind="test_counting", key="a", params={"fail": True})
    assert job.state == "failed" and "broken on purpose" in job.error and job.may_resume

    Job.objects.filter(pk=job.pk).update(params={})
    job.refresh_from_db()
    resumed = services.resume_job(job)

    assert resumed.pk == job.pk and resumed.state == "done" and resumed.attempts == 2


def test_the_database_allows_one_active_job_per_kind_and_key():
    Job.objects.create(kind="test_counting", key="2026-11", state=Job.State.RUNNING, heartbeat_at=timezone.now())

    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.create(kind="test_counting", key="2026-11")
    Job.objects.create(kind="test_counting", key="2026-12")  # another month
    Job.objects.create(kind="test_counting", key="2026-11", state=Job.State.DONE)  # finished ones stay


def test_starting_a_job_already_going_returns_it_without_running_it_again():
    going = Job.objects.create(kind="test_counting", key="a", state=Job.State.RUNNING, worker="w:1:x",
                               heartbeat_at=timezone.now())

    again = services.start_job(kind="test_counting", key="a")

    assert again.pk == going.pk and again.state == "running" and calls == []


def test_a_job_whose_worker_stopped_beating_is_shown_interrupted_and_starting_it_again_resumes_it():
    job = stopped_beating(services.start_job(kind="test_counting", key="a"))
    calls.clear()

    assert job.shown_state == "interrupted" and job.may_resume
    again = services.start_job(kind="test_counting", key="a")

    assert again.pk == job.pk and again.state == "done" and calls == [job.pk]


def test_a_live_workers_job_cannot_be_claimed_twice():
    job = Job.objects.create(kind="test_counting", key="a", state=Job.State.RUNNING, worker="w:1:x",
                             heartbeat_at=timezone.now())

    services.run_job(job.pk)  # a duplicate message

    job.refresh_from_db()
    assert calls == [] and job.worker == "w:1:x" and job.state == "running"


def test_a_worker_that_lost_its_job_does_not_overwrite_the_new_holders_outcome():
    job = Job.objects.create(kind="test_counting", key="a")
    token = services._claim(job.pk)
    Job.objects.filter(pk=job.pk).update(worker="other:2:new")  # retaken after a stale beat

    assert services.Progress(job.pk, token, step="late").write() == 0
    assert Job.objects.get(pk=job.pk).worker == "other:2:new"


def test_the_sweep_sends_again_the_jobs_left_behind_and_gives_up_after_the_attempts(settings, monkeypatch):
    sent = []
    monkeypatch.setattr(services, "_send", lambda task, args: sent.append((task, args)))
    settings.PREBILL_JOB_ATTEMPTS = 3
    retaken = stopped_beating(Job.objects.create(kind="test_counting", key="a"), attempts=1)
    exhausted = stopped_beating(Job.objects.create(kind="test_counting", key="b"), attempts=3)
    lost = Job.objects.create(kind="test_counting", key="c", queued_at=timezone.now() - timedelta(minutes=5))
    fresh = Job.objects.create(kind="test_counting", key="d")

    assert services.sweep() == 2

    assert sorted(args[0] for _, args in sent) == [retaken.pk, lost.pk]
    assert Job.objects.get(pk=exhausted.pk).state == "interrupted"
    assert Job.objects.get(pk=fresh.pk).state == "queued"


def test_later_calls_after_the_commit_only(monkeypatch, django_capture_on_commit_callbacks):
    done = []
    services.background("test.note")(done.append)

    with django_capture_on_commit_callbacks(execute=True):
        services.later("test.note", 7)
        assert done == []

    assert done == [7]


def test_outside_the_inline_mode_a_job_waits_for_a_worker(settings, monkeypatch, django_capture_on_commit_callbacks):
    settings.PREBILL_RUNS_INLINE = False
    sent = []
    monkeypatch.setattr(services, "_send", lambda task, args: sent.append((task, args)))

    with django_capture_on_commit_callbacks(execute=True):
        job = services.start_job(kind="test_counting", key="a")

    assert job.state == "queued" and calls == [] and sent == [("prebill.run_job", [job.pk])]


# -- the month's run as a job -------------------------------------------------------------------------


def test_a_run_is_a_job_of_its_month_and_a_second_start_returns_the_run_going(org, settings, monkeypatch):
    f.fixed_fee_part(f.engagement(f.client()), installments=[(NOV.last_day, "100.00")])
    settings.PREBILL_RUNS_INLINE = False
    monkeypatch.setattr(services, "_send", lambda task, args: None)

    first = start_pre_billing(period=NOV)
    second = start_pre_billing(period=NOV)

    assert first.pk == second.pk and first.job.kind == "run_month" and first.job.key == "2026-11"
    assert first.shown_status == "running" and BillingRun.objects.count() == 1


def test_an_interrupted_run_resumes_to_the_drafts_of_an_uninterrupted_one(org, settings, monkeypatch):
    f.fixed_fee_part(f.engagement(f.client()), installments=[(NOV.last_day, "100.00")])
    settings.PREBILL_RUNS_INLINE = False
    monkeypatch.setattr(services, "_send", lambda task, args: None)
    run = start_pre_billing(period=NOV)
    stopped_beating(run.job)
    run.refresh_from_db()
    assert run.shown_status == "interrupted" and not PreInvoice.objects.exists()

    settings.PREBILL_RUNS_INLINE = True
    resumed = resume_pre_billing(run)

    assert resumed.pk == run.pk and resumed.status == "done" and resumed.job.state == "done"
    assert PreInvoice.objects.get().total_excluding_vat == 100


def test_the_page_shows_an_interrupted_run_with_a_resume_button(org, client, user_with, settings, monkeypatch):
    settings.PREBILL_RUNS_INLINE = False
    monkeypatch.setattr(services, "_send", lambda task, args: None)
    run = start_pre_billing(period=NOV)
    stopped_beating(run.job)
    client.force_login(user_with("preparer"))

    page = client.get("/billing/2026-11/").content.decode()

    assert 'data-status="interrupted"' in page and 'data-test="resume"' in page
    assert client.post(f"/billing/runs/{run.pk}/resume/").status_code == 302
    assert Job.objects.get(pk=run.job.pk).state == "queued"


def test_the_api_shows_an_interrupted_run_and_resumes_it(org, user_with, settings, monkeypatch):
    settings.PREBILL_RUNS_INLINE = False
    monkeypatch.setattr(services, "_send", lambda task, args: None)
    run = start_pre_billing(period=NOV)
    stopped_beating(run.job)
    _, key = ApiToken.issue(user=user_with("preparer"), name="t")
    api = HttpClient(headers={"Authorization": f"Bearer {key}"})

    shown = api.get(f"/api/runs/{run.pk}").json()
    resumed = api.post(f"/api/runs/{run.pk}/resume")

    assert shown["status"] == "interrupted"
    assert resumed.status_code == 202 and resumed.json()["status"] == "running"
    assert Job.objects.get(pk=run.job.pk).state == "queued"
