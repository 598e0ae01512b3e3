"""Starting, running, following and resuming background jobs.

A job is started once per kind and key (the database's unique constraint on active jobs decides between two
starts at the same time); Celery is told only once the row is committed. A worker claims the row before it
runs the handler, beats while it runs, and finishes it only if it still holds it: a message delivered twice, or
a job retaken after its worker stopped beating, runs its handler once at a time and converges (handlers are
idempotent: the monthly run rebuilds the same drafts, a document is kept once).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import Job

logger = logging.getLogger(__name__)
State = Job.State

Handler = Callable[[Job, "Progress"], dict | None]
_HANDLERS: dict[str, Handler] = {}
_CALLS: dict[str, Callable[..., object]] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that does jobs of `kind`: handler(job, progress) -> result (a JSON dict)."""
    def register(function: Handler) -> Handler:
        _HANDLERS[kind] = function
        return function
    return register


def background(name: str) -> Callable:
    """Register a function run in the background by `later(name, *args)` (no job row: e.g. rendering the documents
    of a new invoice, which its first download would do anyway)."""
    def register(function):
        _CALLS[name] = function
        return function
    return register


def inline() -> bool:
    """Tests and the command line's own runs do the work in the calling process."""
    return settings.PREBILL_RUNS_INLINE


def _send(task: str, args: list) -> None:
    from .queue import configure

    configure().send_task(task, args=args, queue=settings.PREBILL_QUEUE)


def later(name: str, *args) -> None:
    """Run `name(*args)` once the current transaction commits: in a worker, or here after the commit when inline."""
    if inline():
        def call():
            try:
                _CALLS[name](*args)
            except Exception:  # the caller's work is committed; what failed here is done again on demand
                logger.exception("background call %s%r failed", name, args)
        transaction.on_commit(call)
    else:
        transaction.on_commit(lambda: _send("prebill.call", [name, list(args)]), robust=True)


def key_of(request: object) -> str:
    """A job key for work asked by content (the same drafts to validate, the same invoices to post): the same
    request sent twice while the first runs gives that job."""
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()[:40]


def start_job(*, kind: str, key: str = "", params: dict | None = None, user=None, here: bool = False) -> Job:
    """The active job of this kind and key, or a new one queued. An interrupted one is resumed.

    `here`: run it in this process (the command line's own work), beating like a worker."""
    if kind not in _HANDLERS:
        raise LookupError(f"no handler for jobs of kind {kind!r}")
    try:
        with transaction.atomic():
            job = Job.objects.create(kind=kind, key=key, params=params or {},
                                     created_by=user if getattr(user, "pk", None) else None)
    except IntegrityError:  # one is active already: that one is the answer
        job = Job.objects.filter(kind=kind, key=key, state__in=Job.ACTIVE).first()
        if job is None:  # it finished between the two statements
            return start_job(kind=kind, key=key, params=params, user=user, here=here)
        if job.shown_state == State.INTERRUPTED:
            return resume_job(job, here=here)
        return job
    _dispatch(job, here)
    return job


def resume_job(job: Job, *, here: bool = False) -> Job:
    """Take an interrupted or failed job again; an active one of the same kind and key is returned instead."""
    try:
        with transaction.atomic():
            updated = Job.objects.filter(pk=job.pk).filter(
                Q(state__in=[State.INTERRUPTED, State.FAILED]) | Job.abandoned()).update(
                state=State.QUEUED, queued_at=timezone.now(), worker="", error="")
    except IntegrityError:  # a failed job whose month was started again meanwhile
        return Job.objects.filter(kind=job.kind, key=job.key, state__in=Job.ACTIVE).first() or job
    job.refresh_from_db()
    if updated:
        _dispatch(job, here)
    return job


def _dispatch(job: Job, here: bool) -> None:
    if inline() or here:
        run_job(job.pk, beat=not inline())
        job.refresh_from_db()
    else:
        job_id = job.pk
        transaction.on_commit(lambda: _send("prebill.run_job", [job_id]), robust=True)


@dataclass
class Progress:
    """What a handler tells while it works; the heartbeat writes it (from its own connection, so the pages see it
    while the handler's transaction is still open)."""

    job_id: int
    token: str
    step: str = ""
    done: int = 0
    total: int = 0

    def __call__(self, step: str | None = None, *, done: int | None = None, total: int | None = None) -> None:
        if step is not None:
            self.step = step
        if done is not None:
            self.done = done
        if total is not None:
            self.total = total
        if inline():
            self.write()

    def write(self) -> int:
        return Job.objects.filter(pk=self.job_id, worker=self.token).update(
            step=self.step[:200], done=self.done, total=self.total, heartbeat_at=timezone.now())


class _Heartbeat(threading.Thread):
    def __init__(self, progress: Progress):
        super().__init__(daemon=True, name=f"heartbeat-{progress.job_id}")
        self.progress, self.stopped = progress, threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(settings.PREBILL_JOB_HEARTBEAT.total_seconds()):
                try:
                    self.progress.write()
                except Exception:  # a busy database: the next beat tries again
                    logger.warning("heartbeat of job %s not written", self.progress.job_id, exc_info=True)
        finally:
            connection.close()


def _claim(job_id: int) -> str | None:
    """Take the job if it is waiting, or running with a worker that stopped beating; the token proves it."""
    token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    now = timezone.now()
    taken = Job.objects.filter(pk=job_id).filter(Q(state__in=[State.QUEUED, State.INTERRUPTED]) | Job.abandoned()).update(
        state=State.RUNNING, worker=token, started_at=now, heartbeat_at=now, error="", attempts=F("attempts") + 1)
    return token if taken else None


def run_job(job_id: int, *, beat: bool = True) -> None:
    """Run a job's handler if this process can claim it (a worker's task, or inline); `beat`: a thread writes
    its heartbeat and progress meanwhile (not inline in tests, whose rows no other connection sees)."""
    token = _claim(job_id)
    if token is None:
        return  # done, or held by a live worker: a duplicate message
    job = Job.objects.get(pk=job_id)
    progress = Progress(job_id, token, step=job.step, done=job.done, total=job.total)
    heartbeat = _Heartbeat(progress) if beat else None
    if heartbeat:
        heartbeat.start()
    try:
        result = _HANDLERS[job.kind](job, progress) or {}
    except Exception as error:
        logger.exception("job %s (%s %s) failed", job.pk, job.kind, job.key)
        outcome = {"state": State.FAILED, "error": f"{type(error).__name__}: {error}"[:4000]}
    else:
        outcome = {"state": State.DONE, "result": result, "step": "", "done": progress.total or progress.done,
                   "total": progress.total}
    finally:
        if heartbeat:
            heartbeat.stopped.set()
            heartbeat.join()
    Job.objects.filter(pk=job_id, worker=token).update(finished_at=timezone.now(), heartbeat_at=timezone.now(),
                                                       **outcome)


def call(name: str, args: list) -> None:
    """A worker's task: a registered background function."""
    _CALLS[name](*args)


def sweep() -> int:
    """Send again what a crash lost: jobs whose worker stopped beating (taken again, up to
    PREBILL_JOB_ATTEMPTS times, then left interrupted for a user to resume) and queued jobs nobody took.
    Every worker sweeps every few seconds; claims make a job run once whoever sends it."""
    stale = Job.stale_before()
    sent = 0
    for job in Job.objects.filter(Job.abandoned() | Q(state=State.QUEUED, queued_at__lt=stale)):
        if job.state == State.RUNNING and job.attempts >= settings.PREBILL_JOB_ATTEMPTS:
            Job.objects.filter(pk=job.pk, state=State.RUNNING, heartbeat_at__lt=stale).update(
                state=State.INTERRUPTED, worker="")
            continue
        if Job.objects.filter(pk=job.pk, state=job.state, heartbeat_at=job.heartbeat_at).update(
                queued_at=timezone.now()):
            _send("prebill.run_job", [job.pk])
            sent += 1
    return sent
