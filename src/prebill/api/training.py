"""Endpoints of training: products, sessions with their learners and fundings, done / cancel, training invoices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import QuerySet
from django.utils.translation import gettext, gettext_noop
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from prebill.accounts.roles import EDIT_PORTFOLIO, RUN_PRE_BILLING, SEE_PRE_BILLING
from prebill.billing.models import PreInvoice
from prebill.catalogue.models import Article
from prebill.clients.models import Client
from prebill.imports.problems import Checker
from prebill.imports.references import split_article_ref
from prebill.team.models import Collaborator
from prebill.training import selectors, services
from prebill.training.models import TrainingProduct, TrainingSession

from .auth import require
from .endpoints import Pages
from .schemas import Message, PreInvoiceOut, Problems

router = Router(tags=["training"])
ERRORS = {401: Message, 403: Message, 404: Message, 409: Message}
TEXT = r"^[^\x00]*$"  # PostgreSQL refuses NUL in text: refuse it here, as a 422, not a 500
CODE = r"^[^\x00]{0,30}$"
# Dates a month can be drafted for: beyond them, due dates and periods would overflow.
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)


# -- shapes ----------------------------------------------------------------------------------------


class ProductIn(Schema):
    reference: str = Field(max_length=30, pattern=TEXT)
    label: str = Field(max_length=200, pattern=TEXT)
    hours: Decimal = Field(max_digits=7, decimal_places=2)
    days: Decimal = Field(max_digits=5, decimal_places=2)
    price: Decimal = Field(max_digits=14, decimal_places=2, description="per learner or per group (basis)")
    basis: str = Field("per_learner", max_length=12, pattern=TEXT, description="per_learner or per_group")
    article: str = Field(pattern=r"^[^\x00]{1,61}$", description="CODE or CODE/SUB_CODE")
    vat_exempt: bool = Field(True, description="continuing vocational training, exempt from VAT")


class ProductOut(Schema):
    reference: str
    label: str
    hours: Decimal
    days: Decimal
    price: Decimal
    basis: str
    billing_unit: str
    article: str
    vat_exempt: bool

    @staticmethod
    def resolve_article(obj) -> str:
        return str(obj.article)


class LearnerIn(Schema):
    name: str = Field(max_length=200, pattern=TEXT)
    sponsor: str = Field(pattern=CODE, description="the code of the client sending the learner")


class FundingIn(Schema):
    funder: str = Field(pattern=CODE, description="a client code")
    sponsor: str = Field(pattern=CODE, description="a client code, sending learners to the session")
    amount: Decimal | None = Field(None, max_digits=14, decimal_places=2, description="or percent")
    per_learner: bool = Field(False, description="the amount is paid for each of the sponsor's learners")
    percent: Decimal | None = Field(None, max_digits=5, decimal_places=2, description="of the sponsor's part")
    file_number: str = Field("", max_length=60, pattern=TEXT,
                             description="the funder's file number (dossier, prise en charge): its invoice quotes it")
    agreement_reference: str = Field("", max_length=60, pattern=TEXT,
                                     description="the training agreement (convention de formation)")


class SessionIn(Schema):
    reference: str = Field(max_length=30, pattern=TEXT)
    product: str = Field(pattern=CODE, description="a product reference")
    start: date = Field(ge=EARLIEST, le=LATEST)
    end: date = Field(ge=EARLIEST, le=LATEST)
    place: str = Field("", max_length=200, pattern=TEXT)
    trainer: str | None = Field(None, pattern=CODE, description="a collaborator code")
    discount_percent: Decimal = Field(Decimal(0), max_digits=5, decimal_places=2)
    learners: list[LearnerIn] = []
    fundings: list[FundingIn] = Field([], description="replaced as a whole, like the learners")


class SessionOut(Schema):
    reference: str
    product: str
    start: date
    end: date
    place: str
    trainer: str | None = None
    status: str
    discount_percent: Decimal

    @staticmethod
    def resolve_product(obj) -> str:
        return obj.product.reference

    @staticmethod
    def resolve_trainer(obj) -> str | None:
        return obj.trainer.code if obj.trainer_id else None


class LearnerOut(Schema):
    name: str
    sponsor: str


class FundingOut(Schema):
    funder: str
    sponsor: str
    amount: Decimal | None
    per_learner: bool
    percent: Decimal | None
    file_number: str
    agreement_reference: str


class DraftOut(Schema):
    id: int
    client: str
    total_excluding_vat: Decimal
    total_including_vat: Decimal


class FollowUpOut(Schema):
    drafts: list[DraftOut]
    invoices: list[str] = Field(description="invoice numbers")


class SessionDetail(SessionOut):
    learners: list[LearnerOut]
    fundings: list[FundingOut]
    billing: FollowUpOut

    @staticmethod
    def resolve_learners(obj) -> list[dict]:
        return [{"name": learner.name, "sponsor": learner.sponsor.code}
                for learner in obj.learners.select_related("sponsor").order_by("sponsor__code", "name", "pk")]

    @staticmethod
    def resolve_fundings(obj) -> list[dict]:
        # In the order entered: funders cover a sponsor's part in that order.
        return [{"funder": f.funder.code, "sponsor": f.sponsor.code, "amount": f.amount,
                 "per_learner": f.per_learner, "percent": f.percent, "file_number": f.file_number,
                 "agreement_reference": f.agreement_reference}
                for f in obj.fundings.select_related("funder", "sponsor").order_by("pk")]

    @staticmethod
    def resolve_billing(obj) -> dict:
        drafts, invoices = selectors.billing_follow_up(obj)
        return {"drafts": [{"id": d.pk, "client": d.client.code, "total_excluding_vat": d.total_excluding_vat,
                            "total_including_vat": d.total_including_vat} for d in drafts],
                "invoices": [invoice.number for invoice in invoices]}


class DoneOut(Schema):
    reference: str
    status: str
    charges: int = Field(description="charges drafted now (0 when already done or all invoiced by hand)")


class InvoiceByHandIn(Schema):
    client: str = Field(pattern=CODE, description="the code of the funder or sponsor to invoice")


class AddSessionIn(Schema):
    session: str = Field(pattern=CODE, description="a session reference")


class PartyOut(Schema):
    code: str
    name: str


class LinkedSessionOut(Schema):
    session: str
    product: str = Field(description="the product's reference")
    sponsors: list[PartyOut]


class TrainingLineOut(Schema):
    session: str
    product: str = Field(description="the product's label")
    sponsor: PartyOut
    learners: int
    billing_unit: str
    unit_price: Decimal
    discount_percent: Decimal
    vat_rate: Decimal
    total_excluding_vat: Decimal = Field(description="the sponsor's part of the session, before fundings")
    total_including_vat: Decimal
    share_excluding_vat: Decimal = Field(description="what this invoice's client pays of it: a funder's share, "
                                                     "or the sponsor's remainder when funded = false")
    share_including_vat: Decimal
    funded: bool


class PreInvoiceTrainingOut(Schema):
    pre_invoice: int
    client: str
    consolidated: bool = Field(description="a funder's consolidated invoice: other sessions can be added")
    sessions: list[LinkedSessionOut]
    lines: list[TrainingLineOut]
    sessions_to_add: list[str] = Field(description="done sessions this client funds, neither here nor invoiced")


# -- helpers ---------------------------------------------------------------------------------------


def _session(reference: str) -> TrainingSession:
    found = None
    if "\x00" not in reference:  # PostgreSQL refuses NUL: such a reference names nothing
        found = TrainingSession.objects.select_related("product", "trainer").filter(reference=reference).first()
    if found is None:
        raise HttpError(404, gettext("no training session %(reference)s") % {"reference": repr(reference)})
    return found


def _pre_invoice(pre_invoice_id: int) -> PreInvoice:
    found = PreInvoice.objects.select_related("client").filter(pk=pre_invoice_id).first()
    if found is None:
        raise HttpError(404, gettext("no pre-invoice #%(id)s") % {"id": pre_invoice_id})
    return found


def _rejected(checker: Checker) -> Status:
    return Status(422, {"detail": [{"loc": p.where, "msg": p.translated(gettext)} for p in checker.problems]})


def _problem(field: str, why: str, **params: object) -> Status:
    """A 422 with one problem: `why` is a msgid (gettext_noop), translated into the request's language."""
    checker = Checker()
    checker.add(field, why, **params)
    return _rejected(checker)


# -- products ------------------------------------------------------------------------------------


@router.get("/training/products", response=list[ProductOut])
@paginate(Pages)
def list_products(request) -> QuerySet[TrainingProduct]:
    require(request, SEE_PRE_BILLING)
    return TrainingProduct.objects.select_related("article").order_by("reference")


@router.post("/training/products", response={200: ProductOut, 201: ProductOut, 422: Problems, **ERRORS})
def save_product(request, payload: ProductIn) -> Status:
    """Create (201) or update (200) a product by its reference; 422 says which field is wrong."""
    require(request, EDIT_PORTFOLIO)
    code, sub_code = split_article_ref(payload.article)
    article = Article.objects.filter(code=code, sub_code=sub_code).first()
    if article is None:
        checker = Checker()
        checker.add("article", gettext_noop("unknown article %(code)s"), code=repr(payload.article))
        return _rejected(checker)
    existed = TrainingProduct.objects.filter(reference=payload.reference.strip()).exists()
    product = services.save_product(
        reference=payload.reference, label=payload.label, hours=payload.hours, days=payload.days,
        price=payload.price, basis=payload.basis, article=article, vat_exempt=payload.vat_exempt)
    return Status(200 if existed else 201, TrainingProduct.objects.select_related("article").get(pk=product.pk))


# -- sessions ------------------------------------------------------------------------------------


@router.get("/training/sessions", response=list[SessionOut])
@paginate(Pages)
def list_sessions(request, status: str = Query("", pattern="^(planned|ongoing|done|cancelled)?$"),
                  product: str = Query("", pattern=CODE, description="a product reference")
                  ) -> QuerySet[TrainingSession]:
    require(request, SEE_PRE_BILLING)
    sessions = TrainingSession.objects.select_related("product", "trainer").order_by("-start", "reference")
    if status:
        sessions = sessions.filter(status=status)
    return sessions.filter(product__reference=product) if product else sessions


@router.get("/training/sessions/{reference}", response={200: SessionDetail, **ERRORS})
def get_session(request, reference: str) -> TrainingSession:
    """A session with its learners, its fundings and its billing follow-up (drafts and invoices)."""
    require(request, SEE_PRE_BILLING)
    return _session(reference)


@router.post("/training/sessions", response={200: SessionDetail, 201: SessionDetail, 422: Problems, **ERRORS})
def save_session(request, payload: SessionIn) -> Status:
    """Create (201) or update (200) a session by its reference, its learners and fundings replaced as a whole.

    Codes that name nothing are all listed with their path (e.g. fundings[1].funder); nothing is saved then.
    A done or cancelled session is not changed any more."""
    require(request, EDIT_PORTFOLIO)
    checker = Checker()
    wanted = ({learner.sponsor for learner in payload.learners}
              | {code for funding in payload.fundings for code in (funding.funder, funding.sponsor)})
    clients = Client.objects.in_bulk(wanted, field_name="code")

    def client(code: str, where: str) -> Client | None:
        if code not in clients:
            checker.add(where, gettext_noop("unknown client %(code)s"), code=repr(code))
        return clients.get(code)

    product = TrainingProduct.objects.filter(reference=payload.product).first()
    if product is None:
        checker.add("product", gettext_noop("unknown product %(code)s"), code=repr(payload.product))
    trainer = None
    if payload.trainer:
        trainer = Collaborator.objects.filter(code=payload.trainer).first()
        if trainer is None:
            checker.add("trainer", gettext_noop("unknown collaborator %(code)s"), code=repr(payload.trainer))
    learners = [services.LearnerEntry(name=entry.name, sponsor=client(entry.sponsor, f"learners[{n}].sponsor"))
                for n, entry in enumerate(payload.learners)]
    fundings = [services.FundingEntry(funder=client(entry.funder, f"fundings[{n}].funder"),
                                      sponsor=client(entry.sponsor, f"fundings[{n}].sponsor"),
                                      amount=entry.amount, percent=entry.percent, per_learner=entry.per_learner,
                                      file_number=entry.file_number, agreement_reference=entry.agreement_reference)
                for n, entry in enumerate(payload.fundings)]
    if checker.problems:
        return _rejected(checker)
    existed = TrainingSession.objects.filter(reference=payload.reference.strip()).exists()
    session = services.save_session(
        reference=payload.reference, product=product, start=payload.start, end=payload.end, place=payload.place,
        trainer=trainer, discount_percent=payload.discount_percent, learners=learners, fundings=fundings)
    # Read back: the saved object still holds the decimals as typed ("10", not "10.00").
    return Status(200 if existed else 201, _session(session.reference))


@router.post("/training/sessions/{reference}/done", response={200: DoneOut, **ERRORS})
def mark_done(request, reference: str) -> dict:
    """Mark a session done once it has ended (409 before its last day, or while a funder charged has no file
    number): its charges are made by each funder's billing option, and drafted at once or by the month's next
    run as the firm chose; done twice charges nothing more."""
    require(request, RUN_PRE_BILLING)
    session = _session(reference)
    made = services.mark_done(session_id=session.pk, user=request.auth)
    return {"reference": session.reference, "status": TrainingSession.Status.DONE, "charges": made}


@router.post("/training/sessions/{reference}/cancel", response={200: SessionDetail, **ERRORS})
def cancel(request, reference: str) -> TrainingSession:
    """Cancel a session; a done one loses its drafts (409 once something of it is invoiced)."""
    require(request, RUN_PRE_BILLING)
    session = _session(reference)
    services.cancel(session_id=session.pk, user=request.auth)
    return _session(reference)


@router.post("/training/sessions/{reference}/invoice", response={201: PreInvoiceOut, 422: Problems, **ERRORS})
def invoice_by_hand(request, reference: str, payload: InvoiceByHandIn) -> Status:
    """Draft what a client owes for a done session that was not drafted automatically ("no automatic
    invoicing"); returns the pre-invoice it is on (the client's training draft of that month)."""
    require(request, RUN_PRE_BILLING)
    session = _session(reference)
    client = Client.objects.filter(code=payload.client).first()
    if client is None:
        return _problem("client", gettext_noop("unknown client %(code)s"), code=repr(payload.client))
    pre = services.invoice_by_hand(session_id=session.pk, client_id=client.pk, user=request.auth)
    # Its id and totals; GET /pre-invoices/{id} gives the whole document.
    return Status(201, _pre_invoice(pre.pk))


# -- training invoices -----------------------------------------------------------------------------


@router.get("/pre-invoices/{pre_invoice_id}/training", response={200: PreInvoiceTrainingOut, **ERRORS})
def pre_invoice_training(request, pre_invoice_id: int) -> dict:
    """A pre-invoice's linked sessions and its training description lines (empty for other pre-invoices)."""
    require(request, SEE_PRE_BILLING)
    document = _pre_invoice(pre_invoice_id)
    charges = list(selectors.charges_on(document))
    return {
        "pre_invoice": document.pk, "client": document.client.code,
        "consolidated": services.is_consolidated(document),
        "sessions": [{"session": linked.session.reference, "product": linked.session.product.reference,
                      "sponsors": [{"code": c.code, "name": c.name} for c in linked.sponsors]}
                     for linked in selectors.linked_sessions(charges)],
        "lines": [{"session": line.charge.session.reference, "product": line.charge.session.product.label,
                   "sponsor": {"code": line.charge.sponsor.code, "name": line.charge.sponsor.name},
                   "learners": line.charge.learners, "billing_unit": line.billing_unit,
                   "unit_price": line.charge.unit_price, "discount_percent": line.charge.discount_percent,
                   "vat_rate": line.vat_rate, "total_excluding_vat": line.charge.session_total,
                   "total_including_vat": line.total_including_vat, "share_excluding_vat": line.charge.amount,
                   "share_including_vat": line.share_including_vat, "funded": line.charge.funded}
                  for line in selectors.training_lines(charges)],
        "sessions_to_add": [s.reference for s in selectors.sessions_to_add(document)],
    }


@router.post("/pre-invoices/{pre_invoice_id}/training-sessions",
             response={200: PreInvoiceOut, 422: Problems, **ERRORS})
def add_session(request, pre_invoice_id: int, payload: AddSessionIn) -> PreInvoice | Status:
    """Put what the invoice's client funds in another done session on its consolidated invoice (409 says why
    not). The draft is rebuilt: the answer is the new pre-invoice, with its new id."""
    require(request, RUN_PRE_BILLING)
    document = _pre_invoice(pre_invoice_id)
    session = TrainingSession.objects.filter(reference=payload.session).first()
    if session is None:
        return _problem("session", gettext_noop("unknown training session %(reference)s"), reference=repr(payload.session))
    pre = services.add_session(pre_invoice_id=document.pk, session_id=session.pk, user=request.auth)
    return _pre_invoice(pre.pk)
