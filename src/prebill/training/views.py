"""Training pages: sessions, their learners and fundings, marking them done, their billing follow-up."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from prebill.accounts.roles import RUN_PRE_BILLING, SEE_PRE_BILLING, role_required

from . import selectors, services
from .models import TrainingSession


@role_required(SEE_PRE_BILLING)
def session_list(request):
    sessions = TrainingSession.objects.select_related("product").order_by("-start", "reference")[:200]
    return render(request, "training/list.html", {"sessions": sessions, "section": "training"})


@role_required(SEE_PRE_BILLING)
def session_detail(request, pk: int):
    session = get_object_or_404(TrainingSession.objects.select_related("product", "trainer"), pk=pk)
    drafts, invoices = selectors.billing_follow_up(session)
    return render(request, "training/detail.html", {
        "session": session, "learners": session.learners.select_related("sponsor").order_by("sponsor__code", "name"),
        "fundings": session.fundings.select_related("funder", "sponsor").order_by("pk"),
        "drafts": drafts, "invoices": invoices, "section": "training"})


@role_required(RUN_PRE_BILLING)
@require_POST
def mark_done(request, pk: int):
    try:
        count = services.mark_done(session_id=pk, user=request.user)
    except services.SessionRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Session done: %(n)s charge(s) drafted.") % {"n": count})
    return redirect("training:detail", pk=pk)


@role_required(RUN_PRE_BILLING)
@require_POST
def cancel(request, pk: int):
    try:
        services.cancel(session_id=pk, user=request.user)
    except services.SessionRefused as refused:
        messages.error(request, str(refused))
    return redirect("training:detail", pk=pk)
