"""Grouping of billable items into pre-invoices and lines (DESIGN.md section 4)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from .money import ZERO
from .vat import Totals, VatLine, VatRegime, breakdown_category, effective_vat_rate, totals, vat_breakdown


class ItemKind(StrEnum):
    FIXED_FEE = "fixed_fee"
    TIME = "time"
    UNITS = "units"
    RESALE = "resale"
    EXPENSE = "expense"
    PURCHASE = "purchase"
    OVERTIME = "overtime"
    TRAINING = "training"
    # A cost paid in the client's name (débours): billed at the amount paid, without VAT, never merged with a
    # taxable line; its lines come last and the invoice shows them apart.
    DISBURSEMENT = "disbursement"
    MANUAL = "manual"  # entered by hand in a review


class LineMode(StrEnum):
    DETAILED = "detailed"  # one line per billable item
    PER_ARTICLE = "per_article"
    PER_ARTICLE_COLLABORATOR = "per_article_collaborator"


KIND_ORDER = {kind: position for position, kind in enumerate(ItemKind)}
# Reasons are shown to French clerks and exported as they are.
KIND_WORDS = {
    ItemKind.FIXED_FEE: "forfait", ItemKind.TIME: "régie", ItemKind.UNITS: "unités d'oeuvre",
    ItemKind.RESALE: "revente", ItemKind.EXPENSE: "frais", ItemKind.PURCHASE: "achats",
    ItemKind.OVERTIME: "heures supplémentaires", ItemKind.TRAINING: "formation",
    ItemKind.DISBURSEMENT: "débours", ItemKind.MANUAL: "éléments saisis",
}


@dataclass(frozen=True)
class PaymentTerms:
    """Days after the invoice date, and whether the due date then goes to the end of that month."""

    days: int
    end_of_month: bool = False

    def __str__(self) -> str:
        return f"{self.days} jours{' fin de mois' if self.end_of_month else ''}"


@dataclass(frozen=True)
class BillingTerms:
    """What two items must share to be on one document."""

    client: object
    invoice_date: date
    address: object
    currency: str
    vat_regime: VatRegime
    payment_terms: PaymentTerms
    payment_method: str
    line_mode: LineMode = LineMode.DETAILED
    # The engagement whose own billing conditions apply (None: the client's): its items bill apart.
    conditions_of: object = None


@dataclass(frozen=True)
class GroupableItem:
    id: object
    kind: ItemKind
    terms: BillingTerms
    engagement: object
    part: object
    article: object
    article_label: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    vat_rate: Decimal
    designation: str
    service_date: date
    installment: object = None
    collaborator: object = None
    collaborator_name: str = ""
    engagement_code: str = ""
    part_code: str = ""
    engagement_on_one_invoice: bool = False
    part_on_own_invoice: bool = False
    standalone: bool = False
    # How a clerk grouped it: a rebillable cost joining that installment's fixed-fee invoice, or
    # a collaborator's costs on one invoice; a training charge's option (TrainingOption).
    joins_installment: object = None
    by_collaborator: bool = False
    training_option: str = ""
    training_sponsor: object = None
    # The first day of the period the item bills when it covers one (an installment's month, quarter, half-year or
    # year; its service_date is the period's end, when it falls due): the line's service period starts there.
    service_start: date | None = None


@dataclass
class DraftLine:
    key: str
    kind: ItemKind
    article: object
    designation: str
    unit: str
    unit_price: Decimal
    vat_rate: Decimal
    quantity: Decimal = ZERO
    amount: Decimal = ZERO
    service_start: date | None = None
    service_end: date | None = None
    item_ids: list = field(default_factory=list)
    shares: list[tuple[object, Decimal, Decimal]] = field(default_factory=list)  # (item, quantity, amount)

    def add(self, item: GroupableItem) -> None:
        self.item_ids.append(item.id)
        self.shares.append((item.id, item.quantity, item.amount))
        self.quantity += item.quantity
        self.amount += item.amount
        self.service_start = min(filter(None, (self.service_start, item.service_start or item.service_date)))
        self.service_end = max(filter(None, (self.service_end, item.service_date)))


@dataclass
class DraftPreInvoice:
    key: str
    terms: BillingTerms
    reason: str
    lines: list[DraftLine] = field(default_factory=list)

    @property
    def vat(self) -> list[VatLine]:
        regime = self.terms.vat_regime
        return vat_breakdown((line.vat_rate, line.amount, breakdown_category(is_disbursement(line.kind), regime))
                             for line in self.lines)

    @property
    def totals(self) -> Totals:
        return totals(self.vat)


class TrainingOption(StrEnum):
    """Which training draft a charge goes on: its (funder, sponsor) pair's, or the client's one."""

    PAIR = "pair"
    CONSOLIDATED = "consolidated"
    SPONSOR = "sponsor"  # a sponsor's remainder


REBILLABLE = frozenset({ItemKind.EXPENSE, ItemKind.PURCHASE, ItemKind.OVERTIME, ItemKind.DISBURSEMENT})


def is_disbursement(kind: object) -> bool:
    """A line or item kind (an ItemKind or its stored value) that bills débours."""
    return kind == ItemKind.DISBURSEMENT.value


def item_vat_rate(kind: object, rate: Decimal, regime: VatRegime) -> Decimal:
    """The rate a line bills: débours are outside the VAT base whatever the regime (CGI art. 267 II-2°)."""
    return ZERO if is_disbursement(kind) else effective_vat_rate(rate, regime)


def document_key(item: GroupableItem) -> tuple[str, str]:
    """Which document of its terms an item goes on, and why (a plain sentence)."""
    if item.kind in REBILLABLE and item.joins_installment is not None:
        # Joins the fixed fee's own document; items whose terms differ never share a document, so the
        # service refuses the join, saying which terms differ.
        return f"installment:{item.joins_installment}", f"frais et achats joints au forfait de la mission {item.engagement_code}"
    if item.kind in REBILLABLE and item.by_collaborator and item.collaborator is not None:
        return f"collaborator:{item.collaborator}", f"frais de {item.collaborator_name} regroupés sur une facture"
    if item.part_on_own_invoice:
        return f"part:{item.part}", f"la partie {item.engagement_code}/{item.part_code} est toujours facturée seule"
    if item.engagement_on_one_invoice:
        return f"engagement:{item.engagement}", f"la mission {item.engagement_code} regroupe toutes ses parties"
    if item.installment is not None:
        reason = f"une facture par échéance ({item.engagement_code}/{item.part_code})"
        return f"installment:{item.installment}", reason
    if item.kind is ItemKind.TRAINING:
        if item.training_option == TrainingOption.PAIR:
            return (f"training:pair:{item.training_sponsor}",
                    "formation financée : une facture par financeur et commanditaire")
        return "training", "formations du client regroupées sur une facture"
    if item.kind is ItemKind.TIME:
        return "time", "temps passés du client regroupés sur une facture"
    # Débours go on the engagement's costs document, beside its expenses (their lines stay apart: line_key).
    kind = ItemKind.EXPENSE if item.kind is ItemKind.DISBURSEMENT else item.kind
    return f"{kind.value}:{item.engagement}", f"{KIND_WORDS[kind]} de la mission {item.engagement_code}"


def line_key(item: GroupableItem, vat_rate: Decimal) -> tuple[str, str]:
    """Which line of its document an item goes on, and the designation of that line."""
    mode = item.terms.line_mode
    # A training charge is always its own line: the invoice shows each session and sponsor apart.
    if item.standalone or item.installment is not None or item.kind is ItemKind.TRAINING or mode is LineMode.DETAILED:
        return f"item:{item.id}", item.designation
    base = f"{item.kind.value}|{item.article}|{item.unit}|{item.unit_price}|{vat_rate}"
    if mode is LineMode.PER_ARTICLE_COLLABORATOR and item.collaborator is not None:
        return f"{base}|{item.collaborator}", f"{item.article_label} — {item.collaborator_name}"
    return base, item.article_label


def group_items(items: Iterable[GroupableItem]) -> list[DraftPreInvoice]:
    """Group items into pre-invoices; a line's amount is the exact sum of its items."""
    documents: dict[tuple, DraftPreInvoice] = {}
    lines: dict[tuple, DraftLine] = {}
    for item in items:
        doc_part, reason = document_key(item)
        doc_id = (item.terms, doc_part)
        document = documents.get(doc_id)
        if document is None:
            if item.terms.conditions_of is not None:
                reason = f"{reason} ; conditions de facturation propres à la mission {item.engagement_code}"
            document = documents[doc_id] = DraftPreInvoice(key=doc_part, terms=item.terms, reason=reason)
        rate = item_vat_rate(item.kind, item.vat_rate, item.terms.vat_regime)
        key, designation = line_key(item, rate)
        line = lines.get((doc_id, key))
        if line is None:
            line = lines[(doc_id, key)] = DraftLine(
                key=key, kind=item.kind, article=item.article, designation=designation,
                unit=item.unit, unit_price=item.unit_price, vat_rate=rate,
            )
            document.lines.append(line)
        line.add(item)
    for document in documents.values():
        document.lines.sort(key=lambda line: (KIND_ORDER[line.kind], line.service_start or date.min, line.designation))
    return sorted(documents.values(), key=lambda d: (str(d.terms.client), d.terms.invoice_date, d.key))


TERM_WORDS = {
    "invoice_date": "date de facture", "address": "adresse de facturation", "currency": "devise",
    "vat_regime": "régime de TVA", "payment_terms": "délai de paiement", "payment_method": "mode de paiement",
    "line_mode": "présentation des lignes",
}


def terms_change(old: BillingTerms, new: BillingTerms) -> str:
    """Why a draft was replaced: the billing terms that changed, in the clerk's words ('' when none)."""
    changes = []
    for name, words in TERM_WORDS.items():
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            changes.append(f"{words} : {_word(before)} → {_word(after)}")
    return "; ".join(changes)


def _word(value: object) -> str:
    return value.value if isinstance(value, StrEnum) else str(value)


def draft_identity(draft: DraftPreInvoice, *, period_end: date, default_address: object) -> str:
    """With the period and the client, what a draft is: what it groups (draft.key), and what keeps apart
    documents of one client that group alike but can never share terms (an engagement's own conditions,
    address or currency, exempt training, another invoice date). Never the terms' values: a change of
    payment terms updates the draft, it does not make another one."""
    t = draft.terms
    parts = [draft.key]
    if t.conditions_of is not None:
        parts.append(f"conditions:{t.conditions_of}")
    if t.address != default_address:
        parts.append(f"address:{t.address}")
    if t.currency != "EUR":
        parts.append(t.currency)
    if draft.key.startswith("training") and t.vat_regime is VatRegime.EXEMPT:
        parts.append("exempt")
    if t.invoice_date != period_end:
        parts.append(t.invoice_date.isoformat())
    return "|".join(parts)


def draft_digest(draft: DraftPreInvoice) -> str:
    """A fingerprint of everything a draft bills: terms, lines and the items behind each line.

    Two drafts with the same digest invoice the same thing; validation compares the digest of the
    draft a user saw with the one its locked items give now."""
    t = draft.terms
    text = repr((
        str(t.client), t.invoice_date.isoformat(), str(t.address), t.currency, t.vat_regime.value,
        t.payment_terms.days, t.payment_terms.end_of_month, t.payment_method, t.line_mode.value, draft.reason,
        [(line.key, line.kind.value, str(line.article), line.designation, line.unit, str(line.unit_price),
          str(line.vat_rate), str(line.quantity), str(line.amount), str(line.service_start), str(line.service_end),
          sorted(str(i) for i in line.item_ids)) for line in draft.lines],
    ))
    return hashlib.sha256(text.encode()).hexdigest()
