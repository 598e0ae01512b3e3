"""The two Celery tasks: run a job's row, or call a registered background function. Both are safe to receive
twice (acks_late: a message is acknowledged once done, so a worker lost mid-task leaves it to another)."""

from . import services
from .queue import app


@app.task(name="prebill.run_job")
def run_job(job_id: int) -> None:
    services.run_job(job_id)


@app.task(name="prebill.call")
def call(name: str, args: list) -> None:
    services.call(name, args)
