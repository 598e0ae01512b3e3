"""Issue 13: a stateful property test of the whole ledger.

A hypothesis state machine runs random sequences of the month's work over a tiny portfolio (three
clients, one collaborator, T&M billed per hour, fixed fees with monthly installments): runs of
November and December, time imported or changed (through the CSV import), entries made billable
yes / no / undecided, review edits and moves, rebillable expenses, dated billing conditions of a
client or an engagement, deposits set aside on drafts, validations (with the version seen, or a
stale one that must be refused), partial and full credit notes with or without rebilling, and the
difference invoices that follow raised hours or rebilled credits. After every step it checks:

1. every run draft is exactly what its items owe now (digest, totals, lines, item links), and its
   lines and VAT add up to its totals;
2. every invoice line is the sum of its item shares, every invoice the sum of its lines and VAT;
   what credit notes credit of an item never exceeds what the invoice billed of it;
3. every item's shares net to its billed quantity, and it is billed what it owes (the reviewer's
   quantity, else the source's, less what was written off for good), or pending with a remainder,
   or flagged as an excess to credit, exactly when billed beyond that; an invoice bills each item
   what it owes at validation, never more (a second invoice only for a difference or a credit);
4. reservations and allocations never exceed the deposit, reservations never exceed the draft;
5. the numbers of each series run 1..n without a gap.

Each example runs in a savepoint rolled back at its end (invoices are protected against UPDATE and
DELETE by triggers; a rollback is fine). Derandomized: the same examples on every run.
"""

from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from datetime import date
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from prebill.activity.models import TimeEntry
from prebill.billing.context import PortfolioContext
from prebill.billing.drafts import drafts_now, excess_to_credit
from prebill.billing.models import BillableItem, DepositReservation, PreInvoice
from prebill.billing.services import bring_in_step, run_pre_billing
from prebill.clients.models import BillingConditions
from prebill.clients.services import ConditionsRefused
from prebill.core.grouping import draft_digest
from prebill.core.ledger import CreditRefused, to_bill_now
from prebill.core.periods import Period
from prebill.core.review import BILLED_NOW
from prebill.costs.services import declare_expense
from prebill.engagements.services import add_conditions
from prebill.imports.activity import import_time_csv
from prebill.invoicing.models import Invoice, InvoiceLineItem, SeriesCounter
from prebill.invoicing.services import ValidationRefused, issue_credit_note, validate_pre_invoice
from prebill.payments.models import Allocation, Payment
from prebill.payments.services import deposit_left, pre_invoice_due, record_payment, reserve_deposit
from prebill.review import services as review
from prebill.review.scope import Scope
from tests import factories as f

pytestmark = pytest.mark.django_db

NOV, DEC = Period(2026, 11), Period(2026, 12)
PERIODS = (NOV, DEC)
ISSUE = date(2026, 12, 2)  # one issue date for every document: the series' chronology always holds (not later:
# an invoice is never dated in the future)
DAYS = (date(2026, 11, 3), date(2026, 11, 17), date(2026, 12, 2), date(2026, 12, 15))
HOURS = ("0.5", "1", "2.5", "3", "7")
ZERO = Decimal(0)
CENT = Decimal("0.01")
RUN = PreInvoice.Source.RUN


# The portfolio -------------------------------------------------------------------------------------

class World:
    """Rows every example starts from (created once per test, outside the examples' savepoints)."""

    def __init__(self, firm):
        firm.expense_article = f.article("FRAIS", label="Frais refacturés")
        firm.save(update_fields=["expense_article"])
        self.anne = f.collaborator(code="ANNE", hourly="100")
        self.c1, self.c2, self.c3 = f.client(code="C1"), f.client(code="C2"), f.client(code="C3")
        self.clients = [self.c1, self.c2, self.c3]
        self.tm1 = f.engagement(self.c1, code="E1-TM")
        f.time_part(self.tm1)
        self.tm2 = f.engagement(self.c2, code="E2-TM")
        f.time_part(self.tm2, rates=[{"collaborator": self.anne, "hourly_rate": Decimal("90")}])
        self.fee1 = f.engagement(self.c1, code="E1-FF")
        f.fixed_fee_part(self.fee1, installments=[(NOV.last_day, "1000.00"), (DEC.last_day, "1000.00")])
        self.fee3 = f.engagement(self.c3, code="E3-FF")  # an odd cent: halves of it do not round evenly
        f.fixed_fee_part(self.fee3, installments=[(NOV.last_day, "333.33"), (DEC.last_day, "333.33")])
        self.time_engagements = [self.tm1, self.tm2]
        self.engagements = [self.tm1, self.tm2, self.fee1, self.fee3]


def owed(item: BillableItem) -> Decimal:
    """What an item owes in all: the reviewer's billable quantity when set, else the source's; nothing when
    the source owes nothing (time made not billable)."""
    if item.quantity == 0:
        return ZERO
    return item.adjusted_quantity if item.adjusted_quantity is not None else item.quantity


def pick(rows, n: int):
    rows = list(rows)
    return rows[n % len(rows)] if rows else None


def run_drafts():
    return PreInvoice.objects.filter(source=RUN).order_by("pk")


def left_to_credit(invoice: Invoice) -> dict[int, Decimal]:
    """Per item, what the invoice billed of it and its credit notes have not credited yet."""
    left = defaultdict(lambda: ZERO)
    for item_id, quantity in InvoiceLineItem.objects.filter(line__invoice=invoice).values_list("item_id", "quantity"):
        left[item_id] += quantity
    for item_id, quantity in InvoiceLineItem.objects.filter(line__invoice__credited_invoice=invoice).values_list(
            "item_id", "quantity"):
        left[item_id] -= quantity
    return dict(left)


# The machine ----------------------------------------------------------------------------------------

class LedgerMachine(RuleBasedStateMachine):
    world: World  # set by the test

    def __init__(self):
        super().__init__()
        self._example = transaction.atomic()
        self._example.__enter__()
        self.w = type(self).world
        self.entries = 0
        self.folder = tempfile.TemporaryDirectory()

    def teardown(self):
        transaction.set_rollback(True)
        self._example.__exit__(None, None, None)
        self.folder.cleanup()

    # Sources ---------------------------------------------------------------------------------------

    def _import(self, rows: list[tuple]) -> None:
        """Time through the timesheet import (all or nothing), as the time tracker sends it."""
        path = Path(self.folder.name) / "time.csv"
        path.write_text("id,date,collaborator,engagement,hours,billable\n" + "".join(
            f"{entry_id},{day:%Y-%m-%d},ANNE,{engagement},{hours},{billable}\n"
            for entry_id, day, engagement, hours, billable in rows), encoding="utf-8")
        import_time_csv(path)

    def _new_entry(self, engagement: int, day: date, hours: str, billable: str = "yes") -> None:
        self.entries += 1
        self._import([(f"SM{self.entries}", day, self.w.time_engagements[engagement].code, hours, billable)])

    @initialize(first=st.lists(st.tuples(st.integers(0, 1), st.sampled_from(DAYS[:2]), st.sampled_from(HOURS)),
                               min_size=1, max_size=3), invoiced=st.booleans())
    def november(self, first, invoiced):
        """Some November time, the month run, and (or not) its drafts validated."""
        for engagement, day, hours in first:
            self._new_entry(engagement, day, hours)
        run_pre_billing(period=NOV)
        if invoiced:
            for pre in list(run_drafts()):
                validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=ISSUE, expected_version=pre.version)

    @rule(period=st.sampled_from(PERIODS))
    def run_month(self, period):
        run_pre_billing(period=period)

    @rule(engagement=st.integers(0, 1), day=st.sampled_from(DAYS), hours=st.sampled_from(HOURS),
          billable=st.sampled_from(["yes", "yes", "no", "undecided"]))
    def import_time(self, engagement, day, hours, billable):
        self._new_entry(engagement, day, hours, billable)

    @rule(n=st.integers(0, 50), change=st.one_of(st.sampled_from(HOURS).map(lambda h: ("hours", h)),
                                                  st.sampled_from(TimeEntry.Billable.values).map(lambda b: ("billable", b))),
          invoiced=st.booleans(), then=st.sampled_from([None, NOV, DEC]))
    def change_time(self, n, change, invoiced, then):
        """Hours changed (through the import) or the billable flag (on the entry), of any entry or of an invoiced
        one (more: the run drafts the difference; less or not billable: an excess to credit); then a run, or not."""
        entries = TimeEntry.objects.select_related("engagement").order_by("pk")
        if invoiced and entries.filter(billable_item__billed_quantity__gt=0).exists():
            entries = entries.filter(billable_item__billed_quantity__gt=0)
        entry = pick(entries, n)
        if entry is None:
            return self._new_entry(0, DAYS[0], "1")
        what, value = change
        if what == "hours":
            self._import([(entry.external_id, entry.date, entry.engagement.code, value, entry.billable)])
        else:
            entry.billable = value
            entry.save(update_fields=["billable"])
        if then is not None:
            run_pre_billing(period=then)

    @rule(client=st.integers(0, 2), day=st.sampled_from(DAYS), amount=st.sampled_from(["45.50", "120.00"]),
          vat=st.sampled_from(["20", "10"]), then=st.sampled_from([None, NOV, DEC]))
    def expense(self, client, day, amount, vat, then):
        """A rebillable expense (without engagement: it goes with the client's T&M engagement, else its first)."""
        excluding, rate = Decimal(amount), Decimal(vat)
        declare_expense(collaborator_id=self.w.anne.pk, client_id=self.w.clients[client].pk, engagement_id=None,
                        day=day, nature="Déplacement", amount_excluding_vat=excluding,
                        amount_including_vat=(excluding * (1 + rate / 100)).quantize(CENT), vat_rate=rate)
        if then is not None:
            run_pre_billing(period=then)

    @rule(owner=st.integers(0, 6), applies_from=st.sampled_from([NOV.first_day, DEC.first_day]),
          days=st.sampled_from([0, 10, 45, 60]), end_of_month=st.booleans())
    def conditions(self, owner, applies_from, days, end_of_month):
        """A dated row of billing conditions, of a client (0-2) or of an engagement (3-6), then the months it
        applies to are run again."""
        end_of_month = end_of_month and days <= 45  # 60 days end of month is beyond the legal cap (L441-10)
        if owner < 3:
            BillingConditions.objects.update_or_create(
                client=self.w.clients[owner], applies_from=applies_from,
                defaults={"payment_terms_days": days, "end_of_month": end_of_month})
        else:
            try:
                add_conditions(engagement=self.w.engagements[owner - 3], applies_from=applies_from,
                               payment_terms_days=days, end_of_month=end_of_month, bring_in_step=bring_in_step)
            except ConditionsRefused:
                return  # that date has its row already
        for period in PERIODS if applies_from == NOV.first_day else (DEC,):
            run_pre_billing(period=period)

    # Review ----------------------------------------------------------------------------------------

    @rule(n=st.integers(0, 50), action=st.sampled_from([
        "hours 0", "hours 1", "hours 9", "billable yes", "billable no", "billable undecided",
        "move bill_now", "move bill_later", "move not_billed", "move standalone", "move extra"]))
    def review(self, n, action):
        """A review over both months: billable hours or flag of a time element, or a move."""
        session = review.start(scope=Scope(start=NOV.first_day, end=DEC.last_day))
        what, _, value = action.partition(" ")
        if what in ("hours", "billable"):
            item = pick(review.elements(session).filter(kind="time").order_by("pk"), n)
            if item is not None:
                review.edit_time(session_id=session.pk, item_id=item.pk, **(
                    {"hours": Decimal(value)} if what == "hours" else {"billable": value}))
            return
        item = pick(review.elements(session).order_by("pk"), n)
        if item is None:
            return
        if value == "bill_later" and item.period >= DEC.first_day:
            with pytest.raises(review.ReviewRefused):
                review.move(session_id=session.pk, item_id=item.pk, to=value, postpone_to=DEC.first_day)
            return
        review.move(session_id=session.pk, item_id=item.pk, to=value,
                    postpone_to=DEC.first_day if value == "bill_later" else None)

    # Deposits --------------------------------------------------------------------------------------

    @rule(n=st.integers(0, 50), received=st.sampled_from([None, "100.00", "700.00", "2000.00"]),
          share=st.sampled_from([Decimal("0.5"), Decimal(1)]))
    def deposit(self, n, received, share):
        """Money received from a draft's client (or what is left of an earlier deposit), set aside for the draft."""
        pre = pick(run_drafts(), n)
        if pre is None:
            return
        if received is not None:
            record_payment(client_id=pre.client_id, day=date(2026, 11, 20), method="transfer", amount=Decimal(received))
        payment = next((p for p in Payment.objects.filter(client_id=pre.client_id).order_by("-pk")
                        if deposit_left(p) > 0), None)
        if payment is None:
            return
        amount = (min(pre_invoice_due(pre)[1], deposit_left(payment)) * share).quantize(CENT, ROUND_DOWN)
        if amount > 0:
            reserve_deposit(payment=payment, pre_invoice_id=pre.pk, amount=amount)

    # Validation and credit notes ------------------------------------------------------------------

    def _draft(self, n: int, period: Period) -> PreInvoice | None:
        if not run_drafts().exists():
            run_pre_billing(period=period)  # nothing to validate yet: the month is run first
        return pick(run_drafts(), n)

    @rule(n=st.integers(0, 50), period=st.sampled_from(PERIODS))
    def validate(self, n, period):
        """Validate a draft with the version seen; a difference invoice when its items were billed before."""
        pre = self._draft(n, period)
        if pre is None:
            return
        items = list(BillableItem.objects.filter(pre_invoice_line__pre_invoice=pre))
        due_now = {item.pk: to_bill_now(item.quantity, item.unit_price, item.amount, billed=item.billed_quantity,
                                        written_off=item.written_off_quantity,
                                        adjusted_quantity=item.adjusted_quantity,
                                        adjusted_amount=item.adjusted_amount)[0] for item in items}
        reserved = sum((r.amount for r in DepositReservation.objects.filter(pre_invoice=pre)), ZERO)

        invoice = validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=ISSUE, expected_version=pre.version)

        assert (invoice.total_excluding_vat, invoice.total_vat, invoice.total_including_vat) == (
            pre.total_excluding_vat, pre.total_vat, pre.total_including_vat)
        shares = defaultdict(lambda: ZERO)
        for item_id, quantity in InvoiceLineItem.objects.filter(line__invoice=invoice).values_list("item_id", "quantity"):
            shares[item_id] += quantity
        assert dict(shares) == due_now, "the invoice bills each item what it owed at validation"
        for item in BillableItem.objects.filter(pk__in=list(due_now)):
            # Never on a second invoice but for what it owes beyond the first (a difference) or was credited.
            assert item.billed_quantity <= owed(item), f"item {item.pk} billed beyond what it owes"
        settled = sum((a.amount for a in Allocation.objects.filter(invoice=invoice)), ZERO)
        assert settled == min(reserved, invoice.total_including_vat)
        assert not DepositReservation.objects.filter(pre_invoice_id=pre.pk).exists()

    @rule(n=st.integers(0, 50), period=st.sampled_from(PERIODS))
    def validate_stale(self, n, period):
        """Validate a draft with the version seen before its last change (0 if none): refused, nothing changes."""
        pre = self._draft(n, period)
        if pre is None:
            return
        invoices = Invoice.objects.count()
        with pytest.raises(ValidationRefused):
            validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=ISSUE, expected_version=pre.version - 1)
        assert Invoice.objects.count() == invoices
        assert PreInvoice.objects.filter(pk=pre.pk, version=pre.version, content_hash=pre.content_hash).exists()

    def _invoice(self, n: int) -> Invoice | None:
        invoice = pick(Invoice.objects.filter(kind="invoice").order_by("pk"), n)
        if invoice is None and run_drafts().exists():
            self.validate(n, NOV)  # nothing to credit yet: a draft is validated first
            invoice = pick(Invoice.objects.filter(kind="invoice").order_by("pk"), n)
        return invoice

    @rule(n=st.integers(0, 50), rebill=st.booleans())
    def credit_whole(self, n, rebill):
        """Credit all that is left of an invoice (refused when nothing is); rebilled or written off."""
        invoice = self._invoice(n)
        if invoice is None:
            return
        left = {item: quantity for item, quantity in left_to_credit(invoice).items() if quantity > 0}
        if not left:
            with pytest.raises(CreditRefused):
                issue_credit_note(invoice_id=invoice.pk, rebill=rebill, issue_date=ISSUE)
            return
        self._credit(invoice, None, left, rebill)

    @rule(n=st.integers(0, 50), m=st.integers(0, 50), rebill=st.booleans())
    def credit_part(self, n, m, rebill):
        """Credit half of what is left of one item of an invoice (all of it below 0.0002)."""
        invoice = self._invoice(n)
        left = {item: quantity for item, quantity in left_to_credit(invoice).items() if quantity > 0} if invoice else {}
        if not left:
            return
        item = pick(sorted(left), m)
        half = (left[item] / 2).quantize(Decimal("0.0001"), ROUND_DOWN)
        quantities = {item: half if half > 0 else left[item]}
        self._credit(invoice, quantities, quantities, rebill)

    @rule(n=st.integers(0, 50), rebill=st.booleans())
    def credit_excess(self, n, rebill):
        """Credit what an item was invoiced beyond what it owes now, on the last invoice that billed it."""
        item = pick(excess_to_credit().order_by("pk"), n)
        if item is None:
            return
        excess = item.billed_quantity + item.written_off_quantity - item.quantity
        for invoice in Invoice.objects.filter(kind="invoice", lines__item_shares__item=item).distinct().order_by("-pk"):
            left = left_to_credit(invoice).get(item.pk, ZERO)
            if left > 0:
                quantities = {item.pk: min(excess, left)}
                self._credit(invoice, quantities, quantities, rebill)
                return

    def _credit(self, invoice: Invoice, quantities: dict | None, wanted: dict, rebill: bool) -> None:
        note = issue_credit_note(invoice_id=invoice.pk, quantities=quantities, rebill=rebill, issue_date=ISSUE)
        credited = dict(InvoiceLineItem.objects.filter(line__invoice=note).values_list("item_id", "quantity"))
        assert credited == wanted, "the credit note credits the items and quantities asked, nothing else"

    # Invariants ------------------------------------------------------------------------------------

    @invariant()
    def drafts_are_what_their_items_owe(self):
        ctx = PortfolioContext.load()
        stored = defaultdict(dict)
        for pre in PreInvoice.objects.filter(source=RUN).prefetch_related("lines__items", "vat_lines"):
            stored[(pre.period, pre.client_id)][pre.document_key] = pre
        owing = set(BillableItem.objects.filter(status=BillableItem.Status.PENDING).values_list(
            "period", "engagement__client_id"))
        for first_day, client_id in sorted(owing | set(stored)):
            now = drafts_now(Period.of(first_day), client_id, ctx)
            drafts = stored[(first_day, client_id)]
            assert set(drafts) == set(now), f"client {client_id} {first_day}: drafts {sorted(drafts)} owe {sorted(now)}"
            if now:
                assert first_day in (NOV.first_day, DEC.first_day)
                for key, draft in now.items():
                    pre = drafts[key]
                    totals = draft.totals
                    assert pre.content_hash == draft_digest(draft), f"draft #{pre.pk} is not what its items owe"
                    assert (pre.total_excluding_vat, pre.total_vat, pre.total_including_vat) == (
                        totals.excluding_vat, totals.vat, totals.including_vat)
                    lines = list(pre.lines.all())
                    assert len(lines) == len(draft.lines)
                    assert {line.line_key: {i.pk for i in line.items.all()} for line in lines} == {
                        line.key: set(line.item_ids) for line in draft.lines}
                    vat = list(pre.vat_lines.all())
                    assert sum((line.amount for line in lines), ZERO) == pre.total_excluding_vat
                    assert sum((v.base for v in vat), ZERO) == pre.total_excluding_vat
                    assert sum((v.vat for v in vat), ZERO) == pre.total_vat
                    assert pre.total_including_vat == pre.total_excluding_vat + pre.total_vat

    @invariant()
    def invoices_are_the_sum_of_their_shares(self):
        for invoice in Invoice.objects.prefetch_related("lines__item_shares", "vat_lines"):
            lines = list(invoice.lines.all())
            for line in lines:
                shares = list(line.item_shares.all())
                assert shares, f"line {line.position} of {invoice.number} bills no item"
                assert sum((s.amount for s in shares), ZERO) == line.amount, f"{invoice.number} line {line.position}"
                assert sum((s.quantity for s in shares), ZERO) == line.quantity, f"{invoice.number} line {line.position}"
            vat = list(invoice.vat_lines.all())
            assert sum((line.amount for line in lines), ZERO) == invoice.total_excluding_vat, invoice.number
            for v in vat:
                assert v.base == sum((line.amount for line in lines if line.vat_rate == v.rate), ZERO), invoice.number
            assert sum((v.vat for v in vat), ZERO) == invoice.total_vat, invoice.number
            assert invoice.total_including_vat == invoice.total_excluding_vat + invoice.total_vat, invoice.number
        # A credit note never credits more of an item (quantity or money) than the invoice billed of it.
        billed, credited = defaultdict(lambda: [ZERO, ZERO]), defaultdict(lambda: [ZERO, ZERO])
        for kind, invoice_id, credited_id, item_id, quantity, amount in InvoiceLineItem.objects.values_list(
                "line__invoice__kind", "line__invoice_id", "line__invoice__credited_invoice_id", "item_id",
                "quantity", "amount"):
            into = billed[(invoice_id, item_id)] if kind == "invoice" else credited[(credited_id, item_id)]
            into[0] += quantity
            into[1] += amount
        for key, (quantity, amount) in credited.items():
            assert quantity <= billed[key][0], f"invoice {key[0]}: item {key[1]} credited beyond what it billed"
            assert amount <= billed[key][1], (
                f"invoice {key[0]}: item {key[1]} credited {amount} of the {billed[key][1]} it billed")
            if quantity == billed[key][0]:
                assert amount == billed[key][1], (
                    f"invoice {key[0]}: item {key[1]} fully credited by {amount}, billed {billed[key][1]}")

    @invariant()
    def items_are_billed_what_they_owe(self):
        net = defaultdict(lambda: ZERO)
        for item_id, kind, quantity in InvoiceLineItem.objects.order_by("line__invoice_id").values_list(
                "item_id", "line__invoice__kind", "quantity"):
            net[item_id] += quantity if kind == "invoice" else -quantity
            assert net[item_id] >= 0, f"item {item_id} credited beyond what was billed"
        excess = set(excess_to_credit().values_list("pk", flat=True))
        for item in BillableItem.objects.all():
            assert net[item.pk] == item.billed_quantity, f"item {item.pk}: shares {net[item.pk]}, billed {item.billed_quantity}"
            assert item.billed_quantity >= 0 and item.written_off_quantity >= 0
            # What may be billed of it in all: what it owes, less what a credit note wrote off for good.
            billable = max(owed(item) - item.written_off_quantity, ZERO)
            state = (f"item {item.pk} ({item.kind}, {item.status}, {item.decision}): quantity {item.quantity}, "
                     f"adjusted {item.adjusted_quantity}, billed {item.billed_quantity}, "
                     f"written off {item.written_off_quantity}")
            if item.pre_invoice_line_id is not None:
                assert item.status == BillableItem.Status.PENDING and item.decision in BILLED_NOW, state
            assert (item.pk in excess) == (item.billed_quantity > billable), (
                f"an excess to credit is what is billed beyond what is owed: {state}")
            if item.billed_quantity > billable:
                continue  # an excess, flagged: a credit note corrects it
            if item.status == BillableItem.Status.BILLED:
                assert item.billed_quantity == billable, f"billed, not what it owes: {state}"
            else:
                assert item.billed_quantity < billable or not (item.billed_quantity or item.written_off_quantity), (
                    f"pending with nothing left to bill: {state}")

    @invariant()
    def deposits_cover_what_they_settle(self):
        for payment in Payment.objects.prefetch_related("reservations", "allocations"):
            used = sum((r.amount for r in payment.reservations.all()), ZERO) + sum(
                (a.amount for a in payment.allocations.all()), ZERO)
            assert used <= payment.amount, f"payment {payment.pk}: {used} used of {payment.amount}"
        for pre in PreInvoice.objects.prefetch_related("reservations"):
            reserved = sum((r.amount for r in pre.reservations.all()), ZERO)
            assert reserved <= pre.total_including_vat, (
                f"draft #{pre.pk}: {reserved} reserved, total {pre.total_including_vat}")

    @invariant()
    def numbers_are_contiguous(self):
        series = defaultdict(list)
        for series_id, year, sequence in Invoice.objects.values_list("series_id", "sequence_year", "sequence"):
            series[(series_id, year)].append(sequence)
        for (series_id, year), sequences in series.items():
            assert sorted(sequences) == list(range(1, len(sequences) + 1)), (series_id, year, sorted(sequences))
            assert SeriesCounter.objects.get(series_id=series_id, year=year).last_number == len(sequences)


# CI: the same 25 sequences of 15 steps on every run, not shrunk (a failing one is at most 15 steps and names
# the item and amounts; shrinking it through the database takes minutes). PREBILL_LEDGER_EXAMPLES=500 runs
# that many fresh random sequences instead, shrunk to the shortest that fails.
SOAK = int(os.environ.get("PREBILL_LEDGER_EXAMPLES", 0))
SETTINGS = settings(max_examples=SOAK or 25, stateful_step_count=15, deadline=None, derandomize=not SOAK,
                    database=None, suppress_health_check=list(HealthCheck),
                    phases=list(Phase) if SOAK else [Phase.explicit, Phase.generate])


def test_the_ledger_holds_whatever_the_sequence_of_work(firm):
    LedgerMachine.world = World(firm)
    run_state_machine_as_test(LedgerMachine, settings=SETTINGS)


# Reproductions of what the machine found (kept as regression tests once fixed) --------------------

@pytest.fixture
def consultant_time(firm):
    """One client, T&M per hour at 100, nothing else."""
    client = f.client(code="R1")
    engagement = f.engagement(client, code="R1-TM")
    f.time_part(engagement)
    anne = f.collaborator(code="ANNE", hourly="100")
    return client, engagement, anne


def _review_hours(item: BillableItem, hours: str) -> None:
    session = review.start(scope=Scope(start=NOV.first_day, end=DEC.last_day))
    review.edit_time(session_id=session.pk, item_id=item.pk, hours=Decimal(hours))


def _validate_only_draft(period: Period) -> Invoice:
    [pre] = PreInvoice.objects.filter(period=period.first_day, source=RUN)
    return validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=ISSUE, expected_version=pre.version)


# BUG (fixed): hours raised in review (adjusted quantity above the entry's) are billed, then flagged as an excess to
# credit: excess_to_credit() and the ledger's remainder compare billed_quantity with the raw quantity and
# ignore adjusted_quantity once an item is billed.
def test_bug_hours_raised_in_review_are_not_an_excess_to_credit_once_invoiced(consultant_time):
    _, engagement, anne = consultant_time
    entry = f.time_entry(anne, engagement, date(2026, 11, 3), "0.5")
    run_pre_billing(period=NOV)
    _review_hours(BillableItem.objects.get(time_entry=entry), "1")
    invoice = _validate_only_draft(NOV)

    december = run_pre_billing(period=DEC)

    assert invoice.total_excluding_vat == Decimal("100.00")  # the reviewer's hour is billed
    assert (december.excess_to_credit, list(excess_to_credit())) == (0, [])


# BUG (fixed): hours lowered in review, invoiced, then partly credited with rebill: the next run bills the entry's
# raw hours less what is still billed (3 - 1 = 2 h) instead of the reviewer's 2 h less 1 h, so the entry ends
# billed 3 h although the review said 2 (to_bill_now ignores adjusted_quantity once billed or written off).
def test_bug_partial_credit_of_hours_lowered_in_review_rebills_only_what_the_review_kept(consultant_time):
    _, engagement, anne = consultant_time
    entry = f.time_entry(anne, engagement, date(2026, 11, 3), "3")
    run_pre_billing(period=NOV)
    item = BillableItem.objects.get(time_entry=entry)
    _review_hours(item, "2")
    invoice = _validate_only_draft(NOV)
    issue_credit_note(invoice_id=invoice.pk, quantities={item.pk: Decimal(1)}, rebill=True, issue_date=ISSUE)

    run_pre_billing(period=DEC)
    difference = _validate_only_draft(DEC)

    item.refresh_from_db()
    assert invoice.total_excluding_vat == Decimal("200.00")
    assert difference.total_excluding_vat == Decimal("100.00")  # the hour credited, not two
    assert item.billed_quantity == Decimal(2)


# BUG (fixed): crediting with rebill an item that also waits on a draft of another month (a difference drafted in
# November, credit note of December) moves the item to December and rebuilds only December's drafts: the
# November draft stays, showing the difference with no item behind it (refresh_drafts keys on the items'
# new period, not on the drafts that held them).
def test_bug_a_rebilled_credit_leaves_no_stale_draft_in_the_month_the_item_left(consultant_time):
    _, engagement, anne = consultant_time
    entry = f.time_entry(anne, engagement, date(2026, 11, 3), "3")
    run_pre_billing(period=NOV)
    invoice = _validate_only_draft(NOV)
    entry.hours = Decimal(4)
    entry.save()
    run_pre_billing(period=NOV)  # the difference of 1 h waits on a November draft
    assert PreInvoice.objects.get(period=NOV.first_day).total_excluding_vat == Decimal("100.00")

    issue_credit_note(invoice_id=invoice.pk, rebill=True, issue_date=ISSUE)

    item = BillableItem.objects.get(time_entry=entry)
    assert (item.period, item.status) == (DEC.first_day, "pending")
    assert not PreInvoice.objects.filter(period=NOV.first_day).exists()
    [december] = PreInvoice.objects.filter(period=DEC.first_day)
    assert december.total_excluding_vat == Decimal("400.00")


# BUG (fixed): an item credited in parts is credited more money than the invoice billed of it: each part is priced
# round_money(quantity * unit price) on its own, so two halves of a 333.33 installment credit 166.67 twice,
# 333.34 in all (issue_credit_note only takes the share's exact amount when one note credits it whole).
def test_bug_an_installment_credited_in_two_halves_credits_exactly_what_was_billed(firm):
    client = f.client(code="R3")
    f.fixed_fee_part(f.engagement(client, code="R3-FF"), installments=[(NOV.last_day, "333.33")])
    run_pre_billing(period=NOV)
    invoice = _validate_only_draft(NOV)
    item = BillableItem.objects.get()

    first = issue_credit_note(invoice_id=invoice.pk, quantities={item.pk: Decimal("0.5")}, rebill=False,
                              issue_date=ISSUE)
    second = issue_credit_note(invoice_id=invoice.pk, rebill=False, issue_date=ISSUE)  # what is left of it

    assert invoice.total_excluding_vat == Decimal("333.33")
    assert first.total_excluding_vat + second.total_excluding_vat == Decimal("333.33")


# BUG (fixed): an excess credited without rebilling stays an excess forever: the credit note lowers billed_quantity
# and raises written_off_quantity by the same amount, so owed - billed - written off does not move and
# excess_to_credit() keeps the item (credit it again and billed only falls below what is owed).
def test_bug_an_excess_credited_without_rebill_is_no_longer_an_excess(consultant_time):
    _, engagement, anne = consultant_time
    entry = f.time_entry(anne, engagement, date(2026, 11, 3), "7")
    run_pre_billing(period=NOV)
    invoice = _validate_only_draft(NOV)
    entry.hours = Decimal("3.5")
    entry.save()
    assert run_pre_billing(period=DEC).excess_to_credit == 1
    item = BillableItem.objects.get(time_entry=entry)

    note = issue_credit_note(invoice_id=invoice.pk, quantities={item.pk: Decimal("3.5")}, rebill=False,
                             issue_date=ISSUE)

    item.refresh_from_db()
    assert note.total_excluding_vat == Decimal("350.00")
    assert (item.billed_quantity, item.status) == (Decimal("3.5"), "billed")
    assert (run_pre_billing(period=DEC).excess_to_credit, list(excess_to_credit())) == (0, [])



# BUG (fixed): a deposit set aside for a draft stays reserved in full when the draft's total falls (time lowered):
# the reservation exceeds the draft (what is left to pay is negative) and holds money of the deposit that the
# draft no longer needs; rebuild_drafts releases the reservations of drafts that vanish, never trims those
# of drafts that shrink.
def test_bug_a_reservation_never_exceeds_its_draft_when_the_draft_shrinks(consultant_time):
    client, engagement, anne = consultant_time
    entry = f.time_entry(anne, engagement, date(2026, 11, 3), "7")
    run_pre_billing(period=NOV)
    pre = PreInvoice.objects.get()
    payment = record_payment(client_id=client.pk, day=date(2026, 11, 20), method="transfer", amount=Decimal(2000))
    reserve_deposit(payment=payment, pre_invoice_id=pre.pk, amount=Decimal("840.00"))
    entry.hours = Decimal(1)
    entry.save()

    run_pre_billing(period=NOV)

    pre.refresh_from_db()
    reservations, due = pre_invoice_due(pre)
    assert pre.total_including_vat == Decimal("120.00")
    assert sum(r.amount for r in reservations) <= pre.total_including_vat and due >= 0
    assert deposit_left(payment) >= Decimal("1880.00")


# BUG (fixed): an item whose quantity falls below what was written off stays an excess to credit with nothing billed:
# 7 h invoiced, 3.5 h credited for good, the entry made not billable, the 3.5 h still billed credited too;
# billed is 0 but quantity - billed - written off = 0 - 0 - 3.5 < 0, so excess_to_credit() keeps it for ever
# (nothing is left on the invoice to credit).
def test_bug_an_item_with_nothing_billed_is_never_an_excess_to_credit(consultant_time):
    _, engagement, anne = consultant_time
    entry = f.time_entry(anne, engagement, date(2026, 11, 3), "7")
    run_pre_billing(period=NOV)
    invoice = _validate_only_draft(NOV)
    item = BillableItem.objects.get(time_entry=entry)
    issue_credit_note(invoice_id=invoice.pk, quantities={item.pk: Decimal("3.5")}, rebill=False, issue_date=ISSUE)
    entry.billable = TimeEntry.Billable.NO
    entry.save()
    assert run_pre_billing(period=DEC).excess_to_credit == 1  # 3.5 h billed, nothing owed

    issue_credit_note(invoice_id=invoice.pk, rebill=False, issue_date=ISSUE)  # the 3.5 h left

    item.refresh_from_db()
    assert item.billed_quantity == 0
    assert (run_pre_billing(period=DEC).excess_to_credit, list(excess_to_credit())) == (0, [])


# BUG (fixed): billable hours lowered in review below what an item has already invoiced leave the excess unseen: 3 h
# invoiced, 1 h credited with rebill (2 h still billed, 1 h drafted again), the reviewer then sets 1 billable
# hour: nothing is drafted (right) but the item stays pending, so excess_to_credit() (billed items only) never
# shows the hour invoiced beyond the reviewer's 1.
def test_bug_hours_lowered_in_review_below_what_is_invoiced_show_the_excess_to_credit(consultant_time):
    _, engagement, anne = consultant_time
    entry = f.time_entry(anne, engagement, date(2026, 11, 3), "3")
    run_pre_billing(period=NOV)
    invoice = _validate_only_draft(NOV)
    item = BillableItem.objects.get(time_entry=entry)
    issue_credit_note(invoice_id=invoice.pk, quantities={item.pk: Decimal(1)}, rebill=True, issue_date=ISSUE)

    _review_hours(item, "1")

    item.refresh_from_db()
    assert not PreInvoice.objects.filter(period=DEC.first_day).exists()
    assert item.billed_quantity == Decimal(2)
    assert list(excess_to_credit()) == [item]


# BUG (fixed): time restored after a credit note wrote the item off stays pending with nothing to bill: 0.5 h invoiced
# and credited for good (billed 0, written off 0.5), raised to 7 h (6.5 h drafted), then back to 0.5 h: the
# harvest puts a changed item back to billed only when billed_quantity > 0, so this one, settled by its
# write-off, stays pending (a review element, counted as not billed now) for ever.
def test_bug_time_restored_after_a_write_off_leaves_the_item_settled(consultant_time):
    _, engagement, anne = consultant_time
    entry = f.time_entry(anne, engagement, date(2026, 11, 3), "0.5")
    run_pre_billing(period=NOV)
    invoice = _validate_only_draft(NOV)
    issue_credit_note(invoice_id=invoice.pk, rebill=False, issue_date=ISSUE)
    entry.hours = Decimal(7)
    entry.save()
    run_pre_billing(period=NOV)
    assert PreInvoice.objects.get(period=NOV.first_day).total_excluding_vat == Decimal("650.00")

    entry.hours = Decimal("0.5")
    entry.save()
    run_pre_billing(period=NOV)

    item = BillableItem.objects.get(time_entry=entry)
    assert not PreInvoice.objects.filter(period=NOV.first_day).exists()
    assert (item.billed_quantity, item.written_off_quantity, item.status) == (0, Decimal("0.5"), "billed")


# BUG (fixed): time made not billable after a review set its billable hours and it was invoiced is not an excess to
# credit: the harvest sets the item's quantity to 0, but excess_to_credit() takes the reviewer's adjusted
# quantity (2 h) as still owed, so the 2 h invoiced are never shown for a credit note.
def test_bug_time_made_not_billable_after_a_review_and_invoicing_is_an_excess(consultant_time):
    _, engagement, anne = consultant_time
    entry = f.time_entry(anne, engagement, date(2026, 11, 3), "3")
    run_pre_billing(period=NOV)
    item = BillableItem.objects.get(time_entry=entry)
    _review_hours(item, "2")
    _validate_only_draft(NOV)
    entry.billable = TimeEntry.Billable.NO
    entry.save()

    december = run_pre_billing(period=DEC)

    item.refresh_from_db()
    assert (item.quantity, item.billed_quantity) == (0, Decimal(2))
    assert (december.excess_to_credit, list(excess_to_credit())) == (1, [item])
