"""A background job is a database row: what, who, state, progress, heartbeat, result, errors.

Celery carries the work (prebill.jobs.queue); this row holds the truth that pages, the API and the command line
read. A running job's worker beats every few seconds; a job whose beat stops is interrupted, never "running"
for ever.
"""


from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")
        INTERRUPTED = "interrupted", _("interrupted")

    ACTIVE = (State.QUEUED, State.RUNNING, State.INTERRUPTED)

    kind = models.CharField(max_length=50, help_text="What the job does: its handler's name (run_month...).")
    key = models.CharField(max_length=100, blank=True, help_text="What it is about, e.g. the month 2026-11.")
    params = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.QUEUED)
    step = models.CharField(max_length=200, blank=True, help_text="What it is doing (a message id, translated when shown).")
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    worker = models.CharField(max_length=120, blank=True, help_text="The process that holds it (host:pid:token).")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            # One job per kind and key at a time (one run per month): the database decides, not timing.
            models.UniqueConstraint(fields=["kind", "key"], condition=Q(state__in=["queued", "running", "interrupted"]),
                                    name="one_active_job_per_kind_and_key"),
        ]
        indexes = [models.Index(fields=["state", "heartbeat_at"], name="jobs_state_heartbeat")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} {self.state}".strip()

    @property
    def shown_state(self) -> str:
        """The state to show: a running job whose worker stopped beating is interrupted."""
        if self.state == self.State.RUNNING and self.is_stale():
            return self.State.INTERRUPTED
        return self.state

    @staticmethod
    def stale_before():
        """A worker that has not beaten since this moment has stopped."""
        return timezone.now() - settings.PREBILL_JOB_STALE_AFTER

    @classmethod
    def abandoned(cls) -> Q:
        """Running jobs whose worker stopped beating."""
        return Q(state=cls.State.RUNNING, heartbeat_at__lt=cls.stale_before())

    def is_stale(self) -> bool:
        return (self.heartbeat_at or self.started_at or self.queued_at) < self.stale_before()

    def shown_status_of(self, status: str) -> str:
        """The status to show of the run or batch this job does: 'interrupted' once the job is."""
        return "interrupted" if status == "running" and self.shown_state == self.State.INTERRUPTED else status

    @property
    def may_resume(self) -> bool:
        return self.shown_state in (self.State.INTERRUPTED, self.State.FAILED)

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0
