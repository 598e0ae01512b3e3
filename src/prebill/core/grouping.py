"""Grouping of billable items into pre-invoices and lines (DESIGN.md section 4)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from .money import ZERO
from .vat import Totals, VatLine, VatRegime, effective_vat_rate, totals, vat_breakdown


class ItemKind(StrEnum):
    FIXED_FEE = "fixed_fee"
    TIME = "time"
    UNITS = "units"
    RESALE = "resale"
    EXPENSE = "expense"
    PURCHASE = "purchase"
    OVERTIME = "overtime"
    TRAINING = "training"
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
    ItemKind.MANUAL: "éléments saisis",
}


@dataclass(frozen=True)
class BillingTerms:
    """What two items must share to be on one document."""

    client: object
    invoice_date: date
    address: object
    currency: str
    vat_regime: VatRegime
    payment_terms: str
    payment_method: str
    line_mode: LineMode = LineMode.DETAILED


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
    hint: str = ""  # rebillable costs: "collaborator", or "installment:<id>" to join that fixed fee


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

    def add(self, item: GroupableItem) -> None:
        self.item_ids.append(item.id)
        self.quantity += item.quantity
        self.amount += item.amount
        self.service_start = min(filter(None, (self.service_start, item.service_date)))
        self.service_end = max(filter(None, (self.service_end, item.service_date)))


@dataclass
class DraftPreInvoice:
    key: str
    terms: BillingTerms
    reason: str
    lines: list[DraftLine] = field(default_factory=list)

    @property
    def vat(self) -> list[VatLine]:
        return vat_breakdown((line.vat_rate, line.amount) for line in self.lines)

    @property
    def totals(self) -> Totals:
        return totals(self.vat)


REBILLABLE = frozenset({ItemKind.EXPENSE, ItemKind.PURCHASE, ItemKind.OVERTIME})


def document_key(item: GroupableItem) -> tuple[str, str]:
    """Which document of its terms an item goes on, and why (a plain sentence)."""
    if item.kind in REBILLABLE and item.hint.startswith("installment:"):
        # Joins the fixed fee's own document; the terms are part of a document's identity, so an item
        # whose terms differ can never land on it (the service refuses the join, saying which differ).
        return item.hint, f"frais et achats joints au forfait de la mission {item.engagement_code}"
    if item.kind in REBILLABLE and item.hint == "collaborator" and item.collaborator is not None:
        return f"collaborator:{item.collaborator}", f"frais de {item.collaborator_name} regroupés sur une facture"
    if item.part_on_own_invoice:
        return f"part:{item.part}", f"la partie {item.engagement_code}/{item.part_code} est toujours facturée seule"
    if item.engagement_on_one_invoice:
        return f"engagement:{item.engagement}", f"la mission {item.engagement_code} regroupe toutes ses parties"
    if item.installment is not None:
        reason = f"une facture par échéance ({item.engagement_code}/{item.part_code})"
        return f"installment:{item.installment}", reason
    if item.kind is ItemKind.TRAINING:
        hint = item.hint.split(";")[0]  # ";exempt" marks exempt training (its terms say so already)
        if hint.startswith("pair:"):
            return f"training:{hint}", "formation financée : une facture par financeur et commanditaire"
        return "training", "formations du client regroupées sur une facture"
    if item.kind is ItemKind.TIME:
        return "time", "temps passés du client regroupés sur une facture"
    return f"{item.kind.value}:{item.engagement}", f"{KIND_WORDS[item.kind]} de la mission {item.engagement_code}"


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
            document = documents[doc_id] = DraftPreInvoice(key=doc_part, terms=item.terms, reason=reason)
        rate = effective_vat_rate(item.vat_rate, item.terms.vat_regime)
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
