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


# What the user reads for each state: msgids kept as data, translated by each interface (TransitionRefused).
STATE_LABELS = {
    InvoiceState.VALIDATED: gettext_noop("validated"),
    InvoiceState.POSTED: gettext_noop("posted"),
    InvoiceState.PARTLY_PAID: gettext_noop("partly paid"),
    InvoiceState.PAID: gettext_noop("paid"),
}
NO_STATE = gettext_noop("nothing")

ALLOWED = {
    InvoiceState.VALIDATED: {InvoiceState.POSTED},
    InvoiceState.POSTED: {InvoiceState.PARTLY_PAID, InvoiceState.PAID},
    InvoiceState.PARTLY_PAID: {InvoiceState.PARTLY_PAID, InvoiceState.PAID},
    InvoiceState.PAID: set(),
}


class TransitionRefused(Refusal, ValueError):
    """The invoice's state may not become the one asked.

    Its parameters are states (or a collection of states): the message names them by their labels, in English
    in str() and in the user's language through translated(gettext).
    """

    def _labelled(self, gettext) -> Refusal:
        return Refusal(self.message, where=self.where, **{
            name: state_labels(value, gettext) if isinstance(value, InvoiceState | frozenset | set) else value
            for name, value in self.params.items()})

    def __str__(self) -> str:
        return str(self._labelled(str))

    def translated(self, gettext) -> str:
        return self._labelled(gettext).translated(gettext)


def state_labels(states, gettext=str) -> str:
    """A state's label, or the labels of states in the order of the life cycle, translated by `gettext`."""
    if isinstance(states, InvoiceState):
        return gettext(STATE_LABELS[states])
    labels = [gettext(STATE_LABELS[state]) for state in InvoiceState if state in states]
    return ", ".join(labels) or gettext(NO_STATE)


def check_transition(current: InvoiceState, wanted: InvoiceState) -> None:
    """Raise TransitionRefused, saying why, unless `wanted` may follow `current`."""
    if wanted not in ALLOWED[current]:
        raise TransitionRefused(gettext_noop("an invoice %(current)s cannot become %(wanted)s (allowed: %(allowed)s)"),
                                current=current, wanted=wanted, allowed=frozenset(ALLOWED[current]))



def posted_state(*, paid: bool, due: Decimal) -> InvoiceState:
    """The state an invoice reaches when posted: money may already be on it (a deposit used before posting)."""
    if not paid:
        return InvoiceState.POSTED
    return InvoiceState.PAID if due <= 0 else InvoiceState.PARTLY_PAID
