"""`prebill worker`: a Celery worker of prebill's queue, which also sweeps the jobs a crash left behind."""

from __future__ import annotations

import logging
import threading

from celery.signals import worker_ready, worker_shutdown
from django.conf import settings
from django.db import connection

from . import services
from .queue import configure

logger = logging.getLogger(__name__)
_stop = threading.Event()


def _sweep_forever() -> None:
    while not _stop.is_set():
        try:
            sent = services.sweep()
            if sent:
                logger.warning("sent again %s job(s) left by a stopped worker", sent)
        except Exception:
            logger.warning("sweep failed", exc_info=True)
        finally:
            connection.close()
        _stop.wait(settings.PREBILL_JOB_SWEEP_EVERY.total_seconds())


@worker_ready.connect
def _start_sweeping(**kwargs) -> None:
    threading.Thread(target=_sweep_forever, daemon=True, name="prebill-sweep").start()


@worker_shutdown.connect
def _stop_sweeping(**kwargs) -> None:
    _stop.set()


def run_worker(*, concurrency: int = 1, name: str | None = None, loglevel: str = "INFO") -> None:
    """Run a worker in this process until it is stopped (SIGTERM finishes the current task first)."""
    from . import tasks  # noqa: F401  (registers the tasks)

    app = configure()
    argv = ["worker", f"--loglevel={loglevel}", "-Q", settings.PREBILL_QUEUE, "--without-gossip", "--without-mingle",
            "--without-heartbeat"]
    argv += ["--pool=solo"] if concurrency == 1 else [f"--concurrency={concurrency}"]
    if name:
        argv.append(f"--hostname={name}")
    app.worker_main(argv)
