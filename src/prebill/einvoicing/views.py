"""E-invoicing pages: the platform's follow-up (what was sent, what to correct), the actions on it, and the
endpoint the platform calls back (signed, not logged in: the platform is no user)."""

import hmac
import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from prebill.accounts.roles import EDIT_PORTFOLIO, POST_INVOICES, SEE_INVOICES, VALIDATE_INVOICES, role_required
from prebill.clients.models import Client
from prebill.jobs.services import later

from . import services
from .flowapi import webhook_signature
from .models import Report, Transmission, Webhook

logger = logging.getLogger(__name__)
MAX_CALLBACK = 64 * 1024  # a Flow's metadata: a few hundred bytes


@role_required(SEE_INVOICES)
def overview(request):
    return render(request, "einvoicing/overview.html", {
        "configured": services.platform() is not None, "counts": services.summary(),
        "to_correct": services.to_correct()[:200], "reports_to_correct": services.reports_to_correct()[:50],
        "reports": Report.objects.defer("content")[:30], "section": "invoices"})


@role_required(POST_INVOICES)
@require_POST
def report_again(request, pk: int):
    again = services.prepare_again(get_object_or_404(Report, pk=pk), user=request.user)
    messages.success(request, _("Report %(flow)s of %(first)s prepared again (version %(version)s).")
                     % {"flow": again.flow, "first": again.period_first, "version": again.version})
    return redirect("einvoicing:overview")


@role_required(VALIDATE_INVOICES)
@require_POST
def send_again(request, pk: int):
    transmission = services.send_again(get_object_or_404(Transmission, pk=pk), user=request.user)
    messages.success(request, _("%(number)s will be sent again.") % {"number": transmission.invoice.number})
    return redirect("invoicing:detail", pk=transmission.invoice_id)


@role_required(SEE_INVOICES)
@require_POST
def follow(request):
    found = services.follow()
    messages.success(request, _("%(count)s new status(es) from the platform.") % {"count": found})
    return redirect("einvoicing:overview")


@role_required(EDIT_PORTFOLIO)
@require_POST
def look_up(request, client_pk: int):
    client = get_object_or_404(Client, pk=client_pk)
    address = services.look_up_client(client)
    if address:
        messages.success(request, _("The directory gives %(address)s for %(name)s.") % {"address": address,
                                                                                      "name": client.name})
    else:
        messages.warning(request, _("%(name)s has no platform in the directory yet.") % {"name": client.name})
    return redirect("clients:detail", code=client.code)


@login_not_required
@csrf_exempt
@require_POST
def callback(request):
    """The platform says a flow changed (signed with the key it gave for the webhook): follow now. The body only
    says when to look; what is recorded is read back from the platform."""
    if len(request.body) > MAX_CALLBACK:
        return HttpResponse(status=413)
    stamp, signature = request.headers.get("Afnor-Signature-Timestamp", ""), request.headers.get("Afnor-Signature", "")
    if not stamp.isdigit() or not signature:
        return HttpResponseForbidden()
    for key in Webhook.objects.values_list("signing_key", flat=True):
        if hmac.compare_digest(webhook_signature(request.body, int(stamp), key), signature):
            later("einvoicing.follow")
            return HttpResponse(status=204)
    logger.warning("a platform callback with a wrong signature was refused")
    return HttpResponseForbidden()
