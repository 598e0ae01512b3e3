"""The Celery tasks: run a job's row, call a registered background function, and the scheduler's tick. All are
safe to receive twice (acks_late: a message is acknowledged once done, so a worker lost mid-task leaves it to
another)."""

from . import services
from .queue import app


@app.task(name="prebill.run_job")
def run_job(job_id: int) -> None:
    services.run_job(job_id)


@app.task(name="prebill.call")
def call(name: str, args: list) -> None:
    services.call(name, args)


@app.task(name="prebill.prepare_scheduled_month")
def prepare_scheduled_month() -> None:
    """The scheduler's tick (prebill.jobs.queue's beat_schedule): billing starts the month's automatic preparation
    when it is due (prebill.billing.schedule registers it; jobs, below billing, only knows its name)."""
    services.call("prepare_scheduled_month", [])


@app.task(name="prebill.einvoicing_tick")
def einvoicing_tick() -> None:
    """The scheduler's e-invoicing pass: what is due to the platform is sent (retries too), its statuses read
    (prebill.einvoicing.services registers it)."""
    services.call("einvoicing.tick", [])
