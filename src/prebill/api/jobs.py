"""Endpoints of bulk work done in the background: validating many drafts, posting or e-mailing many invoices, and
following any job by its id."""

from __future__ import annotations

from datetime import date, datetime

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import field_validator

from prebill.accounting.services import invoices_named, start_posting
from prebill.accounts.roles import POST_INVOICES, SEND_INVOICES, VALIDATE_INVOICES, has_role
from prebill.invoicing.validations import start_validations
from prebill.jobs.models import Job
from prebill.sending.services import start_sending

from .auth import require
from .schemas import Message

router = Router(tags=["jobs"])
ERRORS = {401: Message, 403: Message, 404: Message, 409: Message}
# Who may follow a job: its starter, and those who may start one of its kind.
ROLES_OF_KIND = {"validate_drafts": VALIDATE_INVOICES, "post_invoices": POST_INVOICES, "send_invoices": SEND_INVOICES}


class JobOut(Schema):
    id: int
    kind: str
    state: str = Field(description="queued, running, done, failed, or interrupted (its worker stopped)")
    step: str
    done: int
    total: int
    result: dict = Field(description="What the job did, once done (e.g. validated and refused drafts)")
    error: str
    created_at: datetime
    finished_at: datetime | None

    @staticmethod
    def resolve_state(job) -> str:
        return job.shown_state

    @staticmethod
    def resolve_step(job) -> str:
        return gettext(job.step) if job.step else ""


class DraftIn(Schema):
    id: int
    version: int | None = Field(None, description="The version you saw: that draft is refused if it changed.")


class ValidationsIn(Schema):
    pre_invoices: list[DraftIn] = Field(min_length=1, max_length=10000)
    issue_date: date | None = None

    @field_validator("pre_invoices")
    @classmethod
    def _each_once(cls, drafts: list[DraftIn]) -> list[DraftIn]:
        if len({d.id for d in drafts}) != len(drafts):
            raise ValueError("a pre-invoice is named twice")
        return drafts


class PostingsIn(Schema):
    invoices: list[str] = Field(min_length=1, max_length=10000, description="invoice numbers, posted in this order")

    @field_validator("invoices")
    @classmethod
    def _each_once(cls, numbers: list[str]) -> list[str]:
        if len(set(numbers)) != len(numbers):
            raise ValueError("an invoice is named twice")
        return numbers


@router.post("/validations", response={202: JobOut, **ERRORS})
def start_validating(request, payload: ValidationsIn):
    """Validate many pre-invoices, numbered in the order given (without `issue_date`: each dated its own date, or
    today while that day has not come, in date order); follow GET /jobs/{id} (its result lists the invoices made
    and the drafts refused, with why)."""
    require(request, VALIDATE_INVOICES)
    return Status(202, start_validations(drafts=[(d.id, d.version) for d in payload.pre_invoices],
                                         issue_date=payload.issue_date, user=request.auth))


@router.post("/postings", response={202: JobOut, 422: dict, **ERRORS})
def start_postings(request, payload: PostingsIn):
    """Post many invoices to the sales journal; follow GET /jobs/{id}."""
    require(request, POST_INVOICES)
    ids = _named(payload.invoices)
    if isinstance(ids, Status):
        return ids
    return Status(202, start_posting(invoice_ids=ids, user=request.auth))


class SendingsIn(PostingsIn):
    to: str = Field("", description="the addresses to send to; empty: each client's billing e-mail")


def _named(numbers: list[str]) -> list[int] | Status:
    """The invoices `numbers` names, or the 422 answer naming those that name none."""
    ids, missing = invoices_named(numbers)
    if missing:
        return Status(422, {"detail": [{"loc": f"invoices.{numbers.index(number)}",
                                        "msg": gettext("no such invoice")} for number in missing]})
    return ids


@router.post("/sendings", response={202: JobOut, 422: dict, **ERRORS})
def start_sendings(request, payload: SendingsIn):
    """E-mail many invoices, each with its PDF; follow GET /jobs/{id} (its result lists to whom each went, and
    those refused or failed, with why)."""
    require(request, SEND_INVOICES)
    ids = _named(payload.invoices)
    if isinstance(ids, Status):
        return ids
    return Status(202, start_sending(invoice_ids=ids, to=payload.to, user=request.auth))


@router.get("/jobs/{job_id}", response={200: JobOut, **ERRORS})
def get_job(request, job_id: int):
    job = get_object_or_404(Job, pk=job_id)
    role = ROLES_OF_KIND.get(job.kind)
    if job.created_by_id != request.auth.pk and not (role and has_role(request.auth, role)):
        raise HttpError(403, gettext("your role does not allow this"))
    return job
