"""Training pages: products, sessions with their learners and fundings, marking them done, their billing
follow-up, and invoicing a done session by hand. Views read forms and call the services; the rules are there."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.forms import BaseFormSet, Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from prebill.accounts.roles import EDIT_PORTFOLIO, RUN_PRE_BILLING, SEE_PRE_BILLING, role_required
from prebill.billing.models import PreInvoice
from prebill.clients.models import Client
from prebill.web.refusals import after_refusal

from . import forms, selectors, services
from .models import TrainingProduct, TrainingSession

LOCKED = (TrainingSession.Status.DONE, TrainingSession.Status.CANCELLED)
# "fundings[1].percent", "learners[0]" or a plain field name, as EntryRefused names where it stopped.
DIGITS = re.compile(r"[0-9]{1,18}")  # str.isdigit() takes "²", which int() refuses
ROW_FIELD = re.compile(r"^(learners|fundings)\[(\d+)\](?:\.(\w+))?$")
OPTIONS = {"none": gettext_lazy("no automatic invoicing"), "pair": gettext_lazy("one invoice per funder and sponsor"),
           "consolidated": gettext_lazy("one invoice per funder")}


@role_required(SEE_PRE_BILLING)
def session_list(request: HttpRequest) -> HttpResponse:
    sessions = TrainingSession.objects.select_related("product").order_by("-start", "reference")[:200]
    return render(request, "training/list.html", {"sessions": sessions, "section": "training"})


@role_required(SEE_PRE_BILLING)
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(TrainingSession.objects.select_related("product", "trainer"), pk=pk)
    drafts, invoices = selectors.billing_follow_up(session)
    return render(request, "training/detail.html", {
        "session": session, "learners": session.learners.select_related("sponsor").order_by("sponsor__code", "name"),
        "fundings": session.fundings.select_related("funder", "sponsor").order_by("pk"),
        "documents": selectors.session_documents(session), "document_form": forms.DocumentForm(),
        "drafts": drafts, "invoices": invoices, "section": "training"})


def _to_session(request: HttpRequest, pk: int) -> str:
    return reverse("training:detail", kwargs={"pk": pk})


@role_required(RUN_PRE_BILLING)
@require_POST
@after_refusal(_to_session)
def attach_document(request: HttpRequest, pk: int) -> HttpResponse:
    """Keep a certificate of completion or attendance sheets on the session (the file checked by the service)."""
    session = get_object_or_404(TrainingSession, pk=pk)
    form = forms.DocumentForm(request.POST, request.FILES)
    if not form.is_valid() or form.cleaned_data["sponsor"] is None:
        messages.error(request, _("Choose the document, the sponsor whose learners it covers and its file."))
        return redirect("training:detail", pk=pk)
    services.attach_document(session_id=session.pk, sponsor_id=form.cleaned_data["sponsor"].pk,
                             kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"], user=request.user)
    messages.success(request, _("Document kept: it follows the invoices of the funders of these learners."))
    return redirect("training:detail", pk=pk)


@role_required(RUN_PRE_BILLING)
@require_POST
@after_refusal(_to_session)
def mark_done(request: HttpRequest, pk: int) -> HttpResponse:
    count = services.mark_done(session_id=pk, user=request.user)
    done = (_("Session done: %(n)s charge(s) drafted.") if services.drafts_on_done()
            else _("Session done: %(n)s charge(s) to bill, drafted by the month's next run."))
    messages.success(request, done % {"n": count})
    return redirect("training:detail", pk=pk)


@role_required(RUN_PRE_BILLING)
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    services.cancel(session_id=pk, user=request.user)
    return redirect("training:detail", pk=pk)


# --- products ---------------------------------------------------------------------------------------------


@role_required(SEE_PRE_BILLING)
def product_list(request: HttpRequest) -> HttpResponse:
    products = TrainingProduct.objects.select_related("article").order_by("reference")
    return render(request, "training/products.html", {"products": products, "section": "training"})


@role_required(EDIT_PORTFOLIO)
def product_new(request: HttpRequest) -> HttpResponse:
    return _product_page(request, None)


@role_required(EDIT_PORTFOLIO)
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _product_page(request, get_object_or_404(TrainingProduct, pk=pk))


def _product_page(request: HttpRequest, product: TrainingProduct | None) -> HttpResponse:
    initial = {"basis": TrainingProduct.Basis.PER_LEARNER, "vat_exempt": True}
    if product is not None:
        initial = {name: getattr(product, name) for name in
                   ("reference", "label", "hours", "days", "price", "basis", "article", "vat_exempt")}
    form = forms.ProductForm(request.POST if request.method == "POST" else None, initial=initial)
    if product is not None:
        # The service saves by reference: changing it would make another product.
        form.fields["reference"].disabled = True
    if request.method == "POST":
        if not form.is_valid():
            messages.error(request, _("Nothing saved: correct the fields marked below."))
        elif product is None and TrainingProduct.objects.filter(reference=form.cleaned_data["reference"]).exists():
            form.add_error("reference", _("A product already has this reference: edit it instead."))
            messages.error(request, _("Nothing saved: correct the fields marked below."))
        else:
            data = form.cleaned_data
            try:
                saved = services.save_product(
                    reference=data["reference"], label=data["label"], hours=data["hours"], days=data["days"],
                    price=data["price"], basis=data["basis"], article=data["article"], vat_exempt=data["vat_exempt"])
            except services.EntryRefused as refused:
                messages.error(request, _("Nothing saved. %(where)s: %(message)s") % {
                    "where": _place_error(refused, form, {}), "message": refused.message})
            else:
                messages.success(request, _("Product %(reference)s saved.") % {"reference": saved.reference})
                return redirect("training:products")
    return render(request, "training/product_form.html", {"form": form, "product": product, "section": "training"})


# --- sessions ---------------------------------------------------------------------------------------------


@role_required(EDIT_PORTFOLIO)
def session_new(request: HttpRequest) -> HttpResponse:
    return _session_page(request, None)


@role_required(EDIT_PORTFOLIO)
def session_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _session_page(request, get_object_or_404(TrainingSession.objects.select_related("product"), pk=pk))


def _session_page(request: HttpRequest, session: TrainingSession | None) -> HttpResponse:
    context: dict = {"session": session, "section": "training"}
    if session is not None and session.status in LOCKED:
        # Said here for the page; save_session refuses it too, should the session change in between.
        context["locked"] = _("Session %(reference)s is %(status)s: it can no longer be changed.") % {
            "reference": session.reference, "status": session.get_status_display()}
        if request.method == "POST":
            messages.error(request, _("Nothing saved."))
        return render(request, "training/session_form.html", context)
    initial, learner_rows, funding_rows = _session_initial(session)
    data, adding = None, None
    if request.method == "POST":
        data = request.POST.copy()
        adding = data.get("add") if data.get("add") in ("learners", "fundings") else None
        if adding:
            # No script needed: one more blank row, nothing saved yet.
            total = data.get(f"{adding}-TOTAL_FORMS", "0")
            data[f"{adding}-TOTAL_FORMS"] = str(int(total) + 1 if DIGITS.fullmatch(total) else 1)
    form = forms.SessionForm(data, initial=initial)
    if session is not None:
        form.fields["reference"].disabled = True  # saved by reference: typing another would make a new session
    if data is None:
        learners = forms.learner_formset(initial=learner_rows, extra=1 if session else 3)
        fundings = forms.funding_formset(initial=funding_rows, extra=1)
    else:
        learners, fundings = forms.learner_formset(data), forms.funding_formset(data)
        if not adding:
            saved = _save_session(request, session, form, learners, fundings)
            if saved is not None:
                messages.success(request, _("Session %(reference)s saved.") % {"reference": saved.reference})
                return redirect("training:detail", pk=saved.pk)
    context.update(form=form, learners=learners, fundings=fundings)
    return render(request, "training/session_form.html", context)


def _session_initial(session: TrainingSession | None) -> tuple[dict, list[dict], list[dict]]:
    if session is None:
        return {}, [], []
    initial = {"reference": session.reference, "product": session.product, "start": session.start,
               "end": session.end, "place": session.place, "trainer": session.trainer_id,
               "discount_percent": session.discount_percent}
    learners = [{"name": learner.name, "sponsor": learner.sponsor.code}
                for learner in session.learners.select_related("sponsor").order_by("pk")]
    fundings = [{"funder": funding.funder.code, "sponsor": funding.sponsor.code, "amount": funding.amount,
                 "per_learner": funding.per_learner, "percent": funding.percent,
                 "file_number": funding.file_number, "agreement_reference": funding.agreement_reference}
                for funding in session.fundings.select_related("funder", "sponsor").order_by("pk")]
    return initial, learners, fundings


def _save_session(request: HttpRequest, session: TrainingSession | None, form: Form, learners: BaseFormSet,
                  fundings: BaseFormSet) -> TrainingSession | None:
    """The session saved, or None with the refusal put on the page (nothing is saved then)."""
    valid = [form.is_valid(), learners.is_valid(), fundings.is_valid()]
    if not all(valid):
        messages.error(request, _("Nothing saved: correct the fields marked below."))
        return None
    data = form.cleaned_data
    if session is None and TrainingSession.objects.filter(reference=data["reference"]).exists():
        form.add_error("reference", _("A session already has this reference: edit it instead."))
        messages.error(request, _("Nothing saved: correct the fields marked below."))
        return None
    learner_rows, funding_rows = forms.entered_rows(learners), forms.entered_rows(fundings)
    try:
        return services.save_session(
            reference=data["reference"], product=data["product"], start=data["start"], end=data["end"],
            place=data["place"], trainer=data["trainer"], discount_percent=data["discount_percent"] or Decimal(0),
            learners=[services.LearnerEntry(name=row.get("name") or "", sponsor=row.get("sponsor"))
                      for _n, row in learner_rows],
            fundings=[services.FundingEntry(funder=row.get("funder"), sponsor=row.get("sponsor"),
                                            amount=row.get("amount"), percent=row.get("percent"),
                                            per_learner=bool(row.get("per_learner")),
                                            file_number=row.get("file_number") or "",
                                            agreement_reference=row.get("agreement_reference") or "")
                      for _n, row in funding_rows])
    except services.EntryRefused as refused:
        where = _place_error(refused, form, {"learners": (learners, learner_rows),
                                             "fundings": (fundings, funding_rows)})
        messages.error(request, _("Nothing saved. %(where)s: %(message)s") % {"where": where, "message": refused.message})
        return None


def _place_error(refused: services.EntryRefused, form: Form,
                 rows: dict[str, tuple[BaseFormSet, list[tuple[int, dict]]]]) -> str:
    """Put a refusal next to its field (or on its row) and say where it is for the message on top.

    The service counts only the rows it was given, so its index is mapped back to the row on the page."""
    found = ROW_FIELD.match(refused.field)
    if found and found.group(1) in rows and int(found.group(2)) < len(rows[found.group(1)][1]):
        formset, entered = rows[found.group(1)]
        n = entered[int(found.group(2))][0]
        row_form, name = formset.forms[n], found.group(3)
        what = _("Learner %(row)s") if found.group(1) == "learners" else _("Funding %(row)s")
        what %= {"row": n + 1}
        if name in row_form.fields:
            row_form.add_error(name, refused.message)
            return f"{what}, {row_form.fields[name].label}"
        row_form.add_error(None, refused.message)
        return what
    if refused.field in form.fields:
        form.add_error(refused.field, refused.message)
        return str(form.fields[refused.field].label)
    form.add_error(None, refused.message)
    return refused.field


# --- invoicing a done session by hand ---------------------------------------------------------------------


@dataclass
class OwedRow:
    """What one client owes for a session: its shares per sponsor and what no draft holds yet."""

    client: Client
    option: str
    lines: list[tuple[services.Owed, bool]] = field(default_factory=list)  # (owed, already drafted)
    to_invoice: Decimal = Decimal(0)


def _owed_rows(session: TrainingSession) -> list[OwedRow]:
    to_invoice, default = services.still_to_invoice(session), services.firm_billing_option()
    rows: dict[int, OwedRow] = {}
    for owed in services.what_is_owed(session):
        row = rows.get(owed.client.pk)
        if row is None:
            option = services.billing_option(owed.client, default)
            row = rows[owed.client.pk] = OwedRow(owed.client, str(OPTIONS.get(option, option)))
        done = owed not in to_invoice
        row.lines.append((owed, done))
        if not done:
            row.to_invoice += owed.amount
    return list(rows.values())


@role_required(SEE_PRE_BILLING)
def invoice_by_hand_page(request: HttpRequest) -> HttpResponse:
    sessions = list(TrainingSession.objects.filter(status=TrainingSession.Status.DONE).select_related("product")
                    .order_by("-end", "reference")[:200])
    chosen, wanted = None, request.GET.get("session", "")
    if DIGITS.fullmatch(wanted):
        chosen = TrainingSession.objects.filter(pk=int(wanted)).select_related("product").first()
        if chosen is not None and chosen.status != TrainingSession.Status.DONE:
            messages.error(request, _("Session %(reference)s is not done: mark it done first.") % {
                "reference": chosen.reference})
            chosen = None
        elif chosen is not None and chosen not in sessions:
            sessions.insert(0, chosen)
    return render(request, "training/invoice_by_hand.html", {
        "sessions": sessions, "chosen": chosen, "rows": _owed_rows(chosen) if chosen else [],
        "section": "invoices"})


@role_required(RUN_PRE_BILLING)
@require_POST
def invoice_by_hand(request: HttpRequest) -> HttpResponse:
    session_id, client_id = request.POST.get("session", ""), request.POST.get("client", "")
    back = reverse("training:invoice_by_hand")
    if not (DIGITS.fullmatch(session_id) and DIGITS.fullmatch(client_id)):
        messages.error(request, _("Choose a done session and a client that owes something for it."))
        return redirect(back)
    back += f"?session={session_id}"
    try:
        pre = services.invoice_by_hand(session_id=int(session_id), client_id=int(client_id), user=request.user)
    except (TrainingSession.DoesNotExist, Client.DoesNotExist):
        messages.error(request, _("No such session or client."))
        return redirect(back)
    messages.success(request, _("Pre-invoice drafted."))
    return redirect("billing:pre_invoice", pk=pre.pk)


@role_required(RUN_PRE_BILLING)
@require_POST
def add_session(request: HttpRequest, pk: int) -> HttpResponse:
    """Another session the client funds, typed by reference on its consolidated pre-invoice."""
    get_object_or_404(PreInvoice, pk=pk)  # a draft replaced by a run since the page was shown: 404, not 500
    reference = request.POST.get("session", "").strip()
    session = TrainingSession.objects.filter(reference=reference).first()
    if session is None:
        messages.error(request, _("No session has the reference %(reference)s.") % {"reference": reference})
        return redirect("billing:pre_invoice", pk=pk)
    pre = services.add_session(pre_invoice_id=pk, session_id=session.pk, user=request.user)
    messages.success(request, _("Session %(reference)s added.") % {"reference": session.reference})
    return redirect("billing:pre_invoice", pk=pre.pk)
