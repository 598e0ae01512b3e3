"""The life of an invoice: which state may follow which (DESIGN.md section 5)."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from .refusals import Refusal, gettext_noop


class InvoiceState(StrEnum):
    VALIDATED = "validated"
    POSTED = "posted"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"


ALLOWED = {
    InvoiceState.VALIDATED: {InvoiceState.POSTED},
    InvoiceState.POSTED: {InvoiceState.PARTLY_PAID, InvoiceState.PAID},
    InvoiceState.PARTLY_PAID: {InvoiceState.PARTLY_PAID, InvoiceState.PAID},
    InvoiceState.PAID: set(),
}


class TransitionRefused(Refusal, ValueError):
    """The invoice's state may not become the one asked."""


def check_transition(current: InvoiceState, wanted: InvoiceState) -> None:
    """Raise TransitionRefused, saying why, unless `wanted` may follow `current`."""
    if wanted not in ALLOWED[current]:
        allowed = ", ".join(sorted(ALLOWED[current])) or "nothing"
        raise TransitionRefused(gettext_noop("an invoice %(current)s cannot become %(wanted)s (allowed: %(allowed)s)"),
                                current=current.value, wanted=wanted.value, allowed=allowed)



def posted_state(*, paid: bool, due: Decimal) -> InvoiceState:
    """The state an invoice reaches when posted: money may already be on it (a deposit used before posting)."""
    if not paid:
        return InvoiceState.POSTED
    return InvoiceState.PAID if due <= 0 else InvoiceState.PARTLY_PAID
