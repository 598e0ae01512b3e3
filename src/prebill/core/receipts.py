"""VAT on receipts and invoices in a foreign currency: the pure rules posting applies.

- VAT on receipts (CGI art. 269-2 c: services, unless the firm opted for debits): the VAT of an invoice waits in a
  pending account and becomes due as the invoice is paid. Each payment moves, per rate, the VAT of the part paid:
  what is still pending times the part of what is still due that the payment pays, rounded to the cent; the
  payment that pays the invoice off moves exactly what is left, so the moves of an invoice add up to its VAT.
- Foreign currency: an invoice stores its exchange rate as **euros for one unit of its currency** (1 CHF =
  1.070000 EUR is stored 1.070000), so an amount in euros is the amount times the rate, rounded to the cent.
"""

from __future__ import annotations

from decimal import Decimal

from .journal import EntryLine, check_balanced
from .money import ZERO, round_money


def to_euros(amount: Decimal, rate: Decimal | None) -> Decimal:
    """`amount` in euros at `rate` (euros per unit); None is an invoice in euros."""
    return amount if rate is None else round_money(amount * rate)


def vat_in_euros(vat_by_rate: dict[Decimal, Decimal], rate: Decimal | None) -> dict[Decimal, Decimal]:
    """The VAT breakdown in euros, each rate's VAT converted: their sum is the invoice's VAT in euros (BT-111)."""
    return {vat_rate: to_euros(amount, rate) for vat_rate, amount in vat_by_rate.items()}


def vat_to_move(pending: dict[Decimal, Decimal], paid: Decimal, due: Decimal) -> dict[Decimal, Decimal]:
    """The VAT (per rate) that a payment of `paid` makes due, when `due` was left to pay and `pending` was still
    waiting: pro rata, exact to the cent; what pays the invoice off moves all that is left."""
    if paid >= due or due <= 0:
        return {rate: amount for rate, amount in pending.items() if amount}
    moved = {rate: round_money(amount * paid / due) for rate, amount in pending.items()}
    return {rate: amount for rate, amount in moved.items() if amount}


def vat_move_entry(*, moved: dict[Decimal, Decimal], pending_account: str, collected_account: str,
                   moved_in_euros: dict[Decimal, Decimal] | None = None) -> list[tuple[EntryLine, Decimal | None]]:
    """Pending VAT debited, collected VAT credited, per rate (a negative move, after a credit note, the other way).
    Each line with its amount in the invoice's currency when it is not the euro (`moved` is then in that currency
    and `moved_in_euros` gives the journal's amounts)."""
    lines: list[tuple[EntryLine, Decimal | None]] = []
    for rate, amount in sorted(moved.items()):
        euros = moved_in_euros[rate] if moved_in_euros is not None else amount
        foreign = amount if moved_in_euros is not None else None
        label = f"{rate.normalize():f} %"
        if euros >= 0:
            lines.append((EntryLine(pending_account, f"TVA en attente {label}", euros, ZERO, rate=rate), foreign))
            lines.append((EntryLine(collected_account, f"TVA collectée {label}", ZERO, euros, rate=rate), foreign))
        else:
            lines.append((EntryLine(pending_account, f"TVA en attente {label}", ZERO, -euros, rate=rate), foreign))
            lines.append((EntryLine(collected_account, f"TVA collectée {label}", -euros, ZERO, rate=rate), foreign))
    check_balanced(line for line, _ in lines)
    return lines


def entry_in_euros(lines: list[EntryLine], rate: Decimal | None) -> list[tuple[EntryLine, Decimal | None]]:
    """The lines of an entry written in a foreign currency, in euros, each with its amount in that currency. Every
    line but the first (the client's) is converted; the client's line balances the entry, so the rounding of the
    conversion never unbalances it. In euros (rate None) the lines are kept, without currency amount."""
    if rate is None:
        return [(line, None) for line in lines]
    converted = [EntryLine(line.account, line.label, to_euros(line.debit, rate), to_euros(line.credit, rate),
                           line.aux_code, line.aux_label, line.rate) for line in lines[1:]]
    debit = sum((line.debit for line in converted), ZERO)
    credit = sum((line.credit for line in converted), ZERO)
    first = lines[0]
    balance = (credit - debit, ZERO) if credit >= debit else (ZERO, debit - credit)
    result = [(EntryLine(first.account, first.label, *balance, first.aux_code, first.aux_label, first.rate),
               first.debit or first.credit)]
    result += [(line, original.debit or original.credit) for line, original in zip(converted, lines[1:], strict=True)]
    check_balanced(line for line, _ in result)
    return result
