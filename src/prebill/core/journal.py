"""Sales-journal entries of invoices and credit notes, and the FEC file (LPF art. A47 A-1)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .money import ZERO
from .refusals import Refusal, gettext_noop

FEC_COLUMNS = (
    "JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "CompAuxNum",
    "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit", "EcritureLet", "DateLet",
    "ValidDate", "Montantdevise", "Idevise",
)


# Débours (costs paid in the client's name, CGI art. 267 II-2°) are no revenue: re-billed to the client, they go
# through a transit account of class 4 (PCG 467 "Autres comptes débiteurs ou créditeurs"), without VAT.
DISBURSEMENT_ACCOUNT = "467000"


@dataclass(frozen=True)
class EntryLine:
    account: str
    label: str
    debit: Decimal
    credit: Decimal
    aux_code: str = ""
    aux_label: str = ""
    rate: Decimal | None = None  # the VAT rate of a VAT line (the monthly VAT summary reads it)


class UnbalancedEntry(Refusal, ValueError):
    """A journal entry whose debits and credits differ is never written."""


def invoice_entry(*, credit_note: bool, customer_account: str, vat_account: str, client_code: str, client_name: str,
                  total_including_vat: Decimal, revenue_by_account: dict[str, Decimal],
                  vat_by_rate: dict[Decimal, Decimal], vat_label: str = "TVA collectée",
                  disbursements: Decimal = ZERO, disbursement_account: str = DISBURSEMENT_ACCOUNT) -> list[EntryLine]:
    """Client debited incl. VAT, revenue per account and VAT per rate credited; mirrored for a credit note.
    `vat_account` is the collected VAT (VAT on debits) or the pending VAT (on receipts, with its `vat_label`).
    Débours are credited to their transit account, neither revenue nor VAT."""
    def side(amount: Decimal, debit: bool) -> tuple[Decimal, Decimal]:
        return (amount, ZERO) if debit != credit_note else (ZERO, amount)

    lines = [EntryLine(customer_account, "Clients", *side(total_including_vat, True), client_code, client_name)]
    lines += [EntryLine(account, "Ventes", *side(amount, False))
              for account, amount in sorted(revenue_by_account.items()) if amount]
    if disbursements:
        lines.append(EntryLine(disbursement_account, "Débours", *side(disbursements, False)))
    lines += [EntryLine(vat_account, f"{vat_label} {rate.normalize():f} %", *side(amount, False), rate=rate)
              for rate, amount in sorted(vat_by_rate.items()) if amount]
    check_balanced(lines)
    return lines


def check_balanced(lines: Iterable[EntryLine]) -> None:
    lines = list(lines)
    debit, credit = sum((line.debit for line in lines), ZERO), sum((line.credit for line in lines), ZERO)
    if debit != credit:
        raise UnbalancedEntry(gettext_noop("entry does not balance: debit %(debit)s and credit %(credit)s"),
                              debit=debit, credit=credit)



def fec_amount(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def fec_date(value: date | None) -> str:
    return value.strftime("%Y%m%d") if value else ""


def fec_text(value: str) -> str:
    """No separator nor line break inside a field."""
    return value.replace("|", "/").replace("\t", " ").replace("\r", " ").replace("\n", " ")


def fec_filename(siren: str, closing_date: date) -> str:
    return f"{siren}FEC{closing_date:%Y%m%d}.txt"
