"""The month prepared by itself: the scheduler's tick starts the month once at the firm's moment, by nobody, and
the pre-billing page tells the last and the next automatic run. A training session marked done follows the
firm's choice: drafted at once, or with the month's run."""

import os
import subprocess
import sys
import threading
import time as clock
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from prebill.audit.models import AuditEvent
from prebill.billing import schedule
from prebill.billing.models import BillableItem, BillingRun, PreInvoice
from prebill.core.month_schedule import LAST_DAY, next_run
from prebill.core.periods import Period, last_day_of_month
from prebill.jobs.models import Job
from prebill.organisation.models import Organisation
from prebill.training import services as training
from prebill.training.models import Funding, Learner, TrainingProduct, TrainingSession
from tests import factories as f
from tests.invoicing.test_run_and_validations import database_url

PARIS = ZoneInfo("Europe/Paris")
NOV = Period(2026, 11)
MOMENT = datetime(2026, 11, 25, 2, 0, tzinfo=PARIS)  # the default schedule: the 25th at 02:00
PREBILL = Path(sys.executable).with_name("prebill")


def firm(**settings) -> Organisation:
    """A firm with a fixed fee due in November, preparing its months automatically on the 25th at 02:00."""
    org = f.organisation(**{"auto_prepare": True} | settings)
    f.fixed_fee_part(f.engagement(f.client(code="C-FIXED")), installments=[(date(2026, 11, 30), "1200.00")])
    return org


def runs(period: Period):
    return BillingRun.objects.filter(period=period.first_day)


# --- the due check --------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_new_firm_prepares_its_months_on_the_25th_at_2_and_drafts_training_when_done():
    org = f.organisation()

    assert (org.auto_prepare, org.auto_prepare_day, org.auto_prepare_time, org.auto_prepare_month) == (
        True, 25, time(2, 0), "current")
    assert org.draft_training_on_done is True


@pytest.mark.django_db
def test_nothing_starts_before_the_moment():
    firm()

    started = schedule.prepare_scheduled_month(now=MOMENT - timedelta(minutes=1))

    assert started is None and not runs(NOV).exists()


@pytest.mark.django_db
def test_at_its_moment_the_month_is_prepared_by_nobody_and_the_trail_says_automatic():
    org = firm()

    run = schedule.prepare_scheduled_month(now=MOMENT)

    org.refresh_from_db()
    assert run is not None and run.period == NOV.first_day and run.started_by is None
    assert run.status == "done" and PreInvoice.objects.filter(period=NOV.first_day, client__code="C-FIXED").exists()
    assert run.job.created_by is None and run.job.kind == "run_month" and run.job.key == "2026-11"
    assert (org.last_auto_prepared_at, org.last_auto_prepared_period) == (MOMENT, NOV.first_day)
    event = AuditEvent.objects.get(action="automatic_pre_billing", object_id=str(run.pk))
    assert event.user is None and event.after["by"] == "automatic" and event.after["period"] == "2026-11"


@pytest.mark.django_db
def test_a_second_tick_starts_nothing_and_the_next_month_comes_at_its_own_moment():
    firm()
    schedule.prepare_scheduled_month(now=MOMENT)

    again = [schedule.prepare_scheduled_month(now=MOMENT + timedelta(minutes=n)) for n in (1, 2, 60 * 24)]

    assert again == [None, None, None] and runs(NOV).count() == 1
    december = schedule.prepare_scheduled_month(now=datetime(2026, 12, 25, 2, 0, tzinfo=PARIS))
    assert december is not None and december.period == date(2026, 12, 1)


@pytest.mark.django_db
def test_switched_off_nothing_starts():
    firm(auto_prepare=False)

    assert schedule.prepare_scheduled_month(now=MOMENT) is None
    assert not runs(NOV).exists()


@pytest.mark.django_db
def test_a_moment_missed_while_the_server_was_off_is_caught_up_within_three_days_only():
    firm()
    late = schedule.prepare_scheduled_month(now=MOMENT + timedelta(days=2, hours=23))
    Organisation.objects.update(last_auto_prepared_period=None, last_auto_prepared_at=None)

    too_late = schedule.prepare_scheduled_month(now=MOMENT + timedelta(days=3))

    assert late is not None and late.period == NOV.first_day
    assert too_late is None


@pytest.mark.django_db
def test_a_day_after_month_end_prepares_the_month_just_closed():
    firm(auto_prepare_day=2, auto_prepare_time=time(6, 30), auto_prepare_month="previous")

    run = schedule.prepare_scheduled_month(now=datetime(2026, 12, 2, 6, 30, tzinfo=PARIS))

    assert run is not None and run.period == NOV.first_day
    assert Organisation.objects.get().last_auto_prepared_period == NOV.first_day


@pytest.mark.django_db
def test_the_last_day_of_the_month():
    firm(auto_prepare_day=LAST_DAY, auto_prepare_time=time(20, 0))

    assert schedule.prepare_scheduled_month(now=datetime(2026, 11, 29, 20, 0, tzinfo=PARIS)) is None
    assert schedule.prepare_scheduled_month(now=datetime(2026, 11, 30, 20, 0, tzinfo=PARIS)).period == NOV.first_day


@pytest.mark.django_db
def test_a_month_already_running_is_the_run_the_tick_joins(settings, tmp_path):
    settings.PREBILL_RUNS_INLINE = False  # jobs are queued to a broker folder no worker reads
    settings.PREBILL_BROKER_URL, settings.PREBILL_BROKER_FOLDER = "", tmp_path / "broker"
    firm()
    clerk = User.objects.create_user("clerk")
    from prebill.billing.services import start_pre_billing
    by_hand = start_pre_billing(period=NOV, user=clerk)

    run = schedule.prepare_scheduled_month(now=MOMENT)

    assert run.pk == by_hand.pk and Job.objects.filter(kind="run_month", key="2026-11").count() == 1


def test_two_schedulers_ticking_at_once_start_the_month_once(settings, tmp_path, unfreeze_after):
    settings.PREBILL_RUNS_INLINE = False  # the run's job is queued: what is tested is who takes the month
    settings.PREBILL_BROKER_URL, settings.PREBILL_BROKER_FOLDER = "", tmp_path / "broker"
    firm()
    barrier, started = threading.Barrier(4), []

    def tick():
        try:
            barrier.wait()
            started.append(schedule.prepare_scheduled_month(now=MOMENT))
        finally:
            connection.close()

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(started) == 4 and len([run for run in started if run is not None]) == 1
    assert Job.objects.filter(kind="run_month", key="2026-11").count() == 1 and runs(NOV).count() == 1
    assert AuditEvent.objects.filter(action="automatic_pre_billing").count() == 1


# --- the firm's settings --------------------------------------------------------------------------------------

@pytest.fixture
def admin_client(client, db):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-test-1"))
    return client


def _settings_form(org: Organisation, **changes) -> dict:
    from django.forms.models import model_to_dict

    values = {k: v for k, v in model_to_dict(org).items() if v is not None and k != "logo"}
    return values | {"auto_prepare_time": "02:00"} | changes


def test_the_schedule_is_set_in_the_firms_settings_in_french_and_checked(admin_client):
    org = f.organisation()
    url = reverse("admin:organisation_organisation_change", args=[org.pk])

    page = admin_client.get(url).content.decode()
    refused = admin_client.post(url, _settings_form(org, auto_prepare_day="29"))
    accepted = admin_client.post(url, _settings_form(org, auto_prepare_day=str(LAST_DAY), auto_prepare_time="18:30",
                                                     auto_prepare_month="previous"))

    assert "Préparation automatique du mois" in page and "Préparer le mois automatiquement" in page
    assert "dernier jour du mois" in page and "Mettre en pré-facture les sessions de formation" in page
    assert refused.status_code == 200 and "auto_prepare_day" in refused.context["adminform"].form.errors
    assert accepted.status_code == 302, accepted.context["adminform"].form.errors
    org.refresh_from_db()
    assert (org.auto_prepare_day, org.auto_prepare_time, org.auto_prepare_month) == (LAST_DAY, time(18, 30),
                                                                                       "previous")


@pytest.mark.django_db
def test_the_database_refuses_a_day_some_months_lack():
    from django.db import IntegrityError, transaction

    org = f.organisation()

    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.filter(pk=org.pk).update(auto_prepare_day=30)


def test_firms_of_before_the_setting_keep_preparing_by_hand(transactional_db):
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("organisation", "0006_organisation_training_billing")])
    old = executor.loader.project_state([("organisation", "0006_organisation_training_billing")]).apps
    old.get_model("organisation", "Organisation").objects.create(legal_name="Cabinet Ancien", siren="732829320")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    existing = Organisation.objects.get(legal_name="Cabinet Ancien")
    assert existing.auto_prepare is False and existing.draft_training_on_done is True
    assert f.organisation(legal_name="Cabinet Nouveau").auto_prepare is True


# --- the pre-billing page -------------------------------------------------------------------------------------

def pre_billing_page(client) -> str:
    return client.get(reverse("billing:pre_billing", args=[str(NOV)])).content.decode()


@pytest.mark.django_db
def test_the_page_shows_the_last_and_the_next_automatic_run(preparer_client):
    org = firm()
    Organisation.objects.filter(pk=org.pk).update(last_auto_prepared_at=MOMENT,
                                                   last_auto_prepared_period=NOV.first_day)
    coming = next_run(schedule.schedule_of(org), timezone.now(), prepared=NOV)

    page = pre_billing_page(preparer_client)

    local = timezone.localtime(coming.at)
    assert "Dernier lancement automatique : 25/11/2026 02:00 (novembre 2026)." in page
    assert (f"Prochain lancement automatique : le {date_format(local, 'DATE_FORMAT')} à {local:%H:%M} "
            f"({coming.period.label}).") in page
    assert 'data-test="schedule-setting"' not in page  # a preparer does not change the firm's settings


@pytest.mark.django_db
def test_the_page_says_when_automatic_preparation_is_off_with_a_link_for_who_may_change_it(client, user_with):
    org = firm(auto_prepare=False)
    admin = user_with("administrator", username="office-admin")
    admin.is_staff = True
    admin.save()
    admin.user_permissions.add(Permission.objects.get(codename="change_organisation"))
    client.force_login(admin)

    page = pre_billing_page(client)

    assert "La préparation automatique du mois est désactivée." in page
    assert "Prochain lancement automatique" not in page
    assert reverse("admin:organisation_organisation_change", args=[org.pk]) in page


@pytest.mark.django_db
def test_a_due_run_no_scheduler_started_is_shown_late():
    firm()

    waiting = schedule.automatic_preparation(now=MOMENT + schedule.LATE_AFTER - timedelta(seconds=1))
    late = schedule.automatic_preparation(now=MOMENT + schedule.LATE_AFTER + timedelta(seconds=1))

    assert waiting.enabled and not waiting.late and waiting.next.period == NOV and waiting.last_at is None
    assert late.late and late.next.at == MOMENT


# --- training: drafted when done, or with the month's run -----------------------------------------------------

@pytest.fixture
def session(db):
    firm()
    product = TrainingProduct.objects.create(reference="EXCEL-1", label="Excel avancé", hours=Decimal("14"),
                                             days=Decimal("2"), price=Decimal("600.00"), article=f.article("FORM"))
    session = TrainingSession.objects.create(reference="S-2026-11", product=product, start=date(2026, 11, 16),
                                             end=date(2026, 11, 17), place="Lyon")
    opco, sponsor = f.client(code="OPCO"), f.client(code="ALPHA")
    Learner.objects.create(session=session, name="learner", sponsor=sponsor)
    Funding.objects.create(session=session, funder=opco, sponsor=sponsor, percent=Decimal("100"),
                           file_number="PEC-2026-11")
    return session


def test_a_session_done_is_drafted_at_once_by_default(session):
    training.mark_done(session_id=session.pk)

    assert PreInvoice.objects.filter(client__code="OPCO").exists()


def test_when_the_firm_drafts_training_with_the_month_a_session_done_waits_for_the_run(session, client, user_with):
    Organisation.objects.update(draft_training_on_done=False)
    client.force_login(user_with("preparer"))

    response = client.post(reverse("training:done", args=[session.pk]), follow=True)

    charged = BillableItem.objects.filter(training_charge__session=session)
    assert "mis en pré-facture au prochain lancement du mois" in response.content.decode()
    assert charged.count() == 1 and not PreInvoice.objects.filter(client__code="OPCO").exists()
    schedule.prepare_scheduled_month(now=MOMENT)  # the month's automatic run drafts it
    assert PreInvoice.objects.filter(client__code="OPCO", lines__items__in=charged).exists()


# --- for real: a worker and the scheduler, as `prebill serve` starts them ----------------------------------------

def _this_database() -> str:
    if connection.vendor == "postgresql":
        return database_url()
    return f"sqlite:///{connection.settings_dict['NAME']}"


def test_a_worker_and_the_scheduler_prepare_the_month_by_themselves_once(tmp_path, unfreeze_after):
    # A schedule whose moment has just passed on the real clock: today (or the 28th, or the last day) at 00:00.
    today = timezone.localdate()
    day = today.day if today.day <= 28 else LAST_DAY if today == last_day_of_month(today.year, today.month) else 28
    org = f.organisation(auto_prepare=True, auto_prepare_day=day, auto_prepare_time=time(0, 0))
    month = Period.of(today)
    f.fixed_fee_part(f.engagement(f.client(code="C-FIXED")), installments=[(month.last_day, "900.00")])
    env = os.environ | {
        "PREBILL_DATABASE_URL": _this_database(), "PREBILL_BROKER_URL": "", "PREBILL_RUNS_INLINE": "0",
        "PREBILL_BROKER_FOLDER": str(tmp_path / "broker"), "PREBILL_BEAT_SCHEDULE": str(tmp_path / "beat" / "s"),
        "PREBILL_BEAT_SECONDS": "0.5", "PREBILL_FILES_DIR": str(tmp_path / "files"),
        "PREBILL_JOB_HEARTBEAT_SECONDS": "0.3", "PREBILL_JOB_SWEEP_SECONDS": "0.5"}
    started = []
    for command in (["worker", "--name", "w@schedule-test"], ["beat"]):
        log = (tmp_path / f"{command[0]}.log").open("w")
        started.append(subprocess.Popen([str(PREBILL), *command], env=env, stdout=log, stderr=subprocess.STDOUT))
    try:
        deadline = clock.monotonic() + 180  # a wait, not a measure: about 10 s, the margin is for a loaded machine
        while not runs(month).filter(status="done").exists():
            if clock.monotonic() > deadline or any(p.poll() is not None for p in started):
                pytest.fail("\n".join((tmp_path / f"{name}.log").read_text()[-2000:] for name in ("worker", "beat")))
            clock.sleep(0.2)
        clock.sleep(1.5)  # three more ticks: none starts the month again
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(timeout=30)

    org.refresh_from_db()
    run = runs(month).get()
    assert org.last_auto_prepared_period == month.first_day and run.started_by is None
    assert run.summary["pre_invoices"] == 1
    assert Job.objects.filter(kind="run_month", key=str(month)).count() == 1
    assert "prepare-scheduled-month" in (tmp_path / "beat.log").read_text()


@pytest.mark.parametrize(("broker", "no_worker", "helpers"), [
    ("", False, [["worker"], ["beat"]]),  # embedded: this machine is the installation, its scheduler runs here
    ("redis://127.0.0.1:6379/0", False, [["worker"]]),  # servers may be many: the one `prebill beat` runs apart
    ("", True, []),
])
def test_prebill_serve_starts_the_scheduler_beside_its_worker_in_the_embedded_mode_only(
        settings, monkeypatch, broker, no_worker, helpers):
    from prebill.cli import commands

    settings.PREBILL_BROKER_URL = broker
    launched = []

    class Process:
        def __init__(self, argv):
            launched.append(argv[3:])  # after python -m prebill.cli.main

        def terminate(self):
            launched.append("terminated")

        def wait(self, timeout=None):
            return 0

    monkeypatch.setattr(commands.subprocess, "Popen", Process)
    monkeypatch.setattr(commands, "call_command", lambda *args: launched.append(args[0]))

    commands.dispatch(["serve", *(["--no-worker"] if no_worker else [])])

    assert launched == [*helpers, "runserver", *["terminated"] * len(helpers)]
