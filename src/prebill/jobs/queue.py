"""The Celery application that carries prebill's background work.

Embedded by default: with no PREBILL_BROKER_URL the broker is kombu's filesystem transport in var/broker/, so one
machine needs no other server (prebill serve starts a worker beside the web server). With
PREBILL_BROKER_URL=redis://... or amqp://... any number of `prebill worker` processes on any machines sharing the
database take the work. Celery only carries job ids: the jobs' rows (prebill.jobs.models) hold the truth, and a
message lost with a crashed worker is sent again from them (prebill.jobs.services.sweep).
"""

from __future__ import annotations

from pathlib import Path

from celery import Celery
from django.conf import settings

app = Celery("prebill")


_configured: tuple | None = None


def configure() -> Celery:
    """Read the broker and queue from the settings (again when they changed, as tests do)."""
    global _configured
    wanted = (settings.PREBILL_BROKER_URL, str(settings.PREBILL_BROKER_FOLDER), settings.PREBILL_QUEUE,
              settings.PREBILL_BEAT_EVERY, str(settings.PREBILL_BEAT_SCHEDULE))
    if wanted == _configured:
        return app
    url = settings.PREBILL_BROKER_URL or "filesystem://"
    options: dict = {}
    if url.startswith("filesystem://"):
        folder = Path(settings.PREBILL_BROKER_FOLDER)
        for part in ("queue", "control"):
            (folder / part).mkdir(parents=True, exist_ok=True)
        options = {"data_folder_in": str(folder / "queue"), "data_folder_out": str(folder / "queue"),
                   "control_folder": str(folder / "control"), "store_processed": False}
    elif url.startswith(("redis://", "rediss://")):
        # An unacknowledged message comes back after this long; the jobs' heartbeat retakes a crashed job sooner.
        options = {"visibility_timeout": 3600}
    app.conf.update(
        broker_url=url, broker_transport_options=options, broker_connection_retry_on_startup=True,
        task_default_queue=settings.PREBILL_QUEUE, task_acks_late=True, task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1, task_ignore_result=True, worker_hijack_root_logger=False,
        task_always_eager=False, timezone=settings.TIME_ZONE,
    )
    every = settings.PREBILL_BEAT_EVERY.total_seconds()
    # The scheduler's one entry: ask every minute whether the month's automatic preparation is due (the database
    # decides, so two ticks or two schedulers start it once). A tick no worker took before the next is dropped.
    # And the e-invoicing platform's pass: retries due, statuses to read (nothing when no platform is configured).
    app.conf.update(beat_schedule={name: {
        "task": task, "schedule": every, "options": {"queue": settings.PREBILL_QUEUE, "expires": every}}
        for name, task in (("prepare-scheduled-month", "prebill.prepare_scheduled_month"),
                           ("einvoicing-tick", "prebill.einvoicing_tick"))},
        beat_schedule_filename=str(settings.PREBILL_BEAT_SCHEDULE))
    if _configured is not None:
        app.pool.force_close_all()  # connections to the former broker
    _configured = wanted
    return app


def run_beat(*, loglevel: str = "INFO") -> None:
    """Run the scheduler (Celery beat) in this process until it is stopped: it sends prebill's periodic tasks to
    the queue, and the workers do them. One is enough; a second one only sends each tick twice."""
    app = configure()
    schedule = Path(settings.PREBILL_BEAT_SCHEDULE)
    schedule.parent.mkdir(parents=True, exist_ok=True)
    app.Beat(loglevel=loglevel, schedule=str(schedule)).run()
