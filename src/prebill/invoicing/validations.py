"""Validating many drafts at once: a background job (prebill.jobs) that the API, the command line and the
pages' bulk actions start, and follow by its progress.

Each draft is validated in its own transaction, in the order asked, so numbers follow that order whichever
worker runs the job (they are given inside the transaction, under the series counter's lock). A refusal stops
that draft only. A job taken again after its worker stopped finds the drafts it had validated already by their
removal record, and reports them with their numbers instead of validating them twice.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from prebill.billing.models import PreInvoice, RemovedDraft
from prebill.core.numbering import issue_date_for
from prebill.jobs.models import Job
from prebill.jobs.services import handler, key_of, start_job

from .models import Invoice
from .services import ValidationRefused, validate_pre_invoice


def start_validations(*, drafts: list[tuple[int, int | None]], issue_date: date | None, user=None,
                      here: bool = False) -> Job:
    """Validate `drafts` ((pre-invoice id, version seen or None), in this order) as one job, all dated
    `issue_date`, or each its own proposed date (None: the draft's date, today while that day has not come; then
    taken in date order, which the numbering's chronology needs).

    The same request sent twice while the first runs gives that job (its key is the request)."""
    params = {"drafts": [[int(pk), version] for pk, version in drafts],
              "issue_date": issue_date.isoformat() if issue_date else None,
              "language": translation.get_language() or settings.LANGUAGE_CODE}
    return start_job(kind="validate_drafts", key=key_of([params["drafts"], params["issue_date"]]), params=params,
                     user=user, here=here)


@handler("validate_drafts")
def _validate_drafts(job: Job, progress) -> dict:
    drafts = job.params["drafts"]
    dates = _issue_dates(drafts, job.params["issue_date"], today=job.created_at.date())
    drafts = sorted(drafts, key=lambda draft: dates[draft[0]])
    earlier = dict(RemovedDraft.objects.filter(pre_invoice_id__in=[pk for pk, _ in drafts],
                                               why=RemovedDraft.Why.VALIDATED, removed_at__gte=job.created_at)
                   .values_list("pre_invoice_id", "invoice_number"))
    totals = dict(Invoice.objects.filter(number__in=earlier.values()).values_list("number", "total_including_vat"))
    # Ids that name no draft are refused from two set queries, not one look-up each (a request may name thousands).
    asked = [pk for pk, _ in drafts]
    present = set(PreInvoice.objects.filter(pk__in=asked).values_list("pk", flat=True))
    removed = set(RemovedDraft.objects.filter(pre_invoice_id__in=set(asked) - present).values_list("pre_invoice_id",
                                                                                                  flat=True))
    validated, refused = [], []
    progress(gettext_noop("validating the pre-invoices"), done=0, total=len(drafts))
    with translation.override(job.params.get("language", settings.LANGUAGE_CODE)):  # refusals in the asker's
        for done, (pk, version) in enumerate(drafts, start=1):
            if pk in earlier:  # validated by this job before its worker stopped
                validated.append({"pre_invoice": pk, "number": earlier[pk],
                                  "total_including_vat": str(totals[earlier[pk]])})
            elif pk not in present and pk not in removed:
                refused.append({"pre_invoice": pk, "reason": gettext("no pre-invoice %(id)s") % {"id": pk}})
            else:
                try:
                    invoice = validate_pre_invoice(pre_invoice_id=pk, user=job.created_by, issue_date=dates[pk],
                                                   expected_version=version)
                except ValidationRefused as refusal:  # the others are still validated
                    refused.append({"pre_invoice": pk, "reason": refusal.translated(gettext)})
                else:
                    validated.append({"pre_invoice": pk, "number": invoice.number,
                                      "total_including_vat": str(invoice.total_including_vat)})
            progress(done=done)
    return {"validated": validated, "refused": refused}


def _issue_dates(drafts: list, asked: str | None, *, today: date) -> dict[int, date]:
    """Each draft's invoice date: the one asked for all, else its own proposed date (one query)."""
    if asked:
        return {pk: date.fromisoformat(asked) for pk, _ in drafts}
    own = dict(PreInvoice.objects.filter(pk__in=[pk for pk, _ in drafts]).values_list("pk", "invoice_date"))
    return {pk: issue_date_for(own[pk], today) if pk in own else today for pk, _ in drafts}
