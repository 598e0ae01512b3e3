"""Changes to engagements: created and changed with their parts, rates and billing plans.

Billing is built on engagements, so what billing knows or does is passed in by the caller (prebill.billing's
views, the REST API): whether an installment is invoiced already (prebill.billing.selectors.installment_billed)
and bringing the drafts of months already run in step (prebill.billing.services.bring_in_step).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from prebill.audit.services import record
from prebill.clients.models import Client, PaymentMethod
from prebill.clients.services import add_dated_conditions
from prebill.core.grouping import LineMode
from prebill.core.refusals import Refusal
from prebill.core.schedules import Frequency, ScheduleError, expand_schedule
from prebill.core.vat import VatRegime

from .models import Engagement, EngagementConditions, EngagementPart, Installment, PartRate


class InstallmentBilled(Refusal):
    """A billed installment is on a validated invoice: only a credit note can change it."""


@transaction.atomic
def change_installment(*, installment: Installment, due_date: date, amount: Decimal, label: str,
                       is_billed: Callable[[Installment], bool]) -> Installment:
    """Change an installment of the billing plan while it is not billed (`is_billed` says, under the lock);
    its pending item follows at the next run."""
    locked = Installment.objects.select_for_update().get(pk=installment.pk)
    if is_billed(locked):
        raise InstallmentBilled(gettext("The installment of %(date)s is already invoiced: correct it with a credit note.")
                                % {"date": f"{locked.due_date:%d/%m/%Y}"})

    locked.due_date, locked.amount, locked.label = due_date, amount, label
    locked.save(update_fields=["due_date", "amount", "label"])
    installment.refresh_from_db()
    return locked


def add_conditions(*, engagement: Engagement, applies_from: date, payment_terms_days: int, end_of_month: bool = False,
                   vat_regime: str = VatRegime.STANDARD, payment_method: str = PaymentMethod.TRANSFER,
                   line_mode: str = LineMode.DETAILED, bring_in_step: Callable[..., object],
                   user=None) -> EngagementConditions:
    """Add a dated row of the engagement's own billing conditions; the drafts of months already run follow
    (`bring_in_step(clients=..., since=...)`, in the same transaction)."""
    return add_dated_conditions(
        model=EngagementConditions, owner={"engagement": engagement}, client_id=engagement.client_id,
        applies_from=applies_from, payment_terms_days=payment_terms_days, end_of_month=end_of_month,
        vat_regime=vat_regime, payment_method=payment_method, line_mode=line_mode, bring_in_step=bring_in_step,
        user=user)


# Creating and changing an engagement, its parts and their rates ---------------------------------------------

class EngagementRefused(Refusal, ValueError):
    """An engagement or its parts are refused; `problems` gives each field's message (key "field" for the
    engagement's, "parts.N.field" for its N-th part's), all at once."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__(" ".join(problems.values()), where=next(iter(problems), ""))


ENGAGEMENT_FIELDS = ("label", "engagement_class", "fiscal_year", "manager", "salesperson", "currency",
                     "all_parts_on_one_invoice", "billing_address", "status")
PART_FIELDS = ("code", "label", "kind", "article", "on_own_invoice", "billing_unit", "unit_price", "metric_code",
               "fee_amount", "frequency")
PRICED = ("unit_price", "fee_amount")
NULLABLE = ("article", *PRICED)
PART_DEFAULTS = {"on_own_invoice": False, "billing_unit": "hour"}


def part_problems(part: dict) -> dict[str, str]:
    """What is wrong with a part as typed (the portfolio import's rules), by field; "schedule_start" for its
    schedule."""
    problems: dict[str, str] = {}
    kind = part.get("kind")
    if kind != EngagementPart.Kind.TIME_AND_MATERIALS and not part.get("article"):
        problems["article"] = gettext("A part other than time and materials needs an article.")
    for name in PRICED:
        if part.get(name) is not None and part[name] < 0:
            problems[name] = gettext("An amount cannot be negative.")
    if kind == EngagementPart.Kind.UNITS and part.get("unit_price") is None:
        problems["unit_price"] = gettext("A units part needs a unit price.")
    if kind == EngagementPart.Kind.FIXED_FEE and part.get("fee_amount") is None:
        problems["fee_amount"] = gettext("A fixed fee part needs its fee.")
    start, end = part.get("schedule_start"), part.get("schedule_end")
    if start or end:
        if not (start and end):
            problems["schedule_start"] = gettext("A schedule needs its first and its last day.")
        elif part.get("fee_amount") is None or not part.get("frequency"):
            problems["schedule_start"] = gettext("A schedule needs the fee and the frequency.")
        else:
            try:
                expand_schedule(part["fee_amount"], Frequency(part["frequency"]), start=start, end=end)
            except ScheduleError as error:
                problems["schedule_start"] = gettext("The schedule cannot be drawn: %(why)s.") % {
                    "why": error.translated(gettext)}
    return problems


def engagement_problems(*, client: Client, values: dict, parts: list[dict],
                        engagement: Engagement | None = None) -> dict[str, str]:
    """Every problem of an engagement and its parts as typed, all at once."""
    problems: dict[str, str] = {}
    code = engagement.code if engagement else values.get("code", "")
    if engagement is None and Engagement.objects.filter(code=code).exists():
        problems["code"] = gettext("An engagement with the code %(code)s exists already.") % {"code": code}
    address = values.get("billing_address")
    if address is not None and address.client_id != client.pk:
        problems["billing_address"] = gettext("This address is not one of the client's.")
    currency = values.get("currency", "EUR")
    if not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
        problems["currency"] = gettext("A currency is a code of three letters (EUR).")
    elif engagement is not None and currency.upper() != engagement.currency \
            and engagement.billable_items.exists():
        problems["currency"] = gettext("The engagement has billed items in %(currency)s: its currency stays.") % {
            "currency": engagement.currency}
    seen: set[str] = set()
    existing = {p.code: p for p in engagement.parts.all()} if engagement else {}
    for index, part in enumerate(parts):
        found = part_problems(part)
        if part["code"] in seen:
            found["code"] = gettext("Each part of the engagement has its own code.")
        seen.add(part["code"])
        current = existing.get(part["code"])
        if current is not None and (part.get("schedule_start") or part["kind"] != current.kind) \
                and current.installments.filter(billable_item__isnull=False).exists():
            found.setdefault("schedule_start", gettext(
                "Part %(part)s has installments taken by a run already: change them one by one in its billing "
                "plan.") % {"part": part["code"]})
        problems |= {f"parts.{index}.{name}": message for name, message in found.items()}
    return problems


def _state(engagement: Engagement) -> dict:
    values = {name: str(getattr(engagement, f"{name}_id" if name in ("manager", "salesperson", "billing_address")
                                else name)) for name in ("code", *ENGAGEMENT_FIELDS)}
    values["parts"] = [{name: str(getattr(p, "article_id" if name == "article" else name)) for name in PART_FIELDS}
                       for p in engagement.parts.order_by("code")]
    return values


def save_engagement(*, client: Client, values: dict, parts: list[dict], bring_in_step: Callable[..., object],
                    engagement: Engagement | None = None, user=None) -> Engagement:
    """Create an engagement of `client` (`engagement` None, `values` with its code) or change one, with its parts
    (those given are created or changed; the others stay): a part given a schedule (first and last day) gets its
    installments drawn from its fee and frequency (prebill.core.schedules.expand_schedule), replacing those it
    had while none is taken by a run. The audit keeps it and the drafts of the months already run follow."""
    problems = engagement_problems(client=client, values=values, parts=parts, engagement=engagement)
    if problems:
        raise EngagementRefused(problems)
    with transaction.atomic():
        before = None
        if engagement is None:
            engagement = Engagement(code=values["code"], client=client)
        else:
            engagement = Engagement.objects.select_for_update().get(pk=engagement.pk)
            before = _state(engagement)
        for name in ENGAGEMENT_FIELDS:
            if name in values:
                setattr(engagement, name, values[name])
        engagement.currency = engagement.currency.upper()
        try:
            with transaction.atomic():
                engagement.save()
        except IntegrityError:  # another user took the code meanwhile
            raise EngagementRefused({"code": gettext("An engagement with the code %(code)s exists already.")
                                     % {"code": engagement.code}}) from None
        existing = {p.code: p for p in engagement.parts.all()}
        since = None
        for part in parts:
            row = existing.get(part["code"]) or EngagementPart(engagement=engagement)
            for name in PART_FIELDS:
                value = part.get(name)
                setattr(row, name, value if value is not None or name in NULLABLE else PART_DEFAULTS.get(name, ""))
            row.save()
            if row.kind != EngagementPart.Kind.TIME_AND_MATERIALS:
                row.rates.all().delete()  # only time and materials parts have rates
            if part.get("schedule_start"):
                drawn = draw_schedule(row, start=part["schedule_start"], end=part["schedule_end"])
                since = min(filter(None, [since, drawn[0].due_date if drawn else None]), default=None)
        record(user=user, action="change_engagement" if before else "create_engagement", obj=engagement,
               before=before, after=_state(engagement))
        # A new engagement's drafts start with its first installment; a change may reach any month run.
        if before is not None:
            bring_in_step(clients=[client.pk])
        elif since is not None:
            bring_in_step(clients=[client.pk], since=since)
    return engagement


def draw_schedule(part: EngagementPart, *, start: date, end: date) -> list[Installment]:
    """The part's installments drawn again from its fee and frequency between `start` and `end` (they sum
    exactly to the fee), in place of those it had; the caller checked none is taken by a run."""
    drawn = expand_schedule(part.fee_amount, Frequency(part.frequency), start=start, end=end)
    part.installments.all().delete()
    return Installment.objects.bulk_create(
        Installment(part=part, due_date=s.due_date, amount=s.amount, period_start=s.period_start,
                    period_end=s.period_end) for s in drawn)


def rate_problems(*, part: EngagementPart, collaborator, grade: str, hourly_rate: Decimal | None,
                  daily_rate: Decimal | None) -> dict[str, str]:
    problems: dict[str, str] = {}
    if part.kind != EngagementPart.Kind.TIME_AND_MATERIALS:
        problems["grade"] = gettext("Only time and materials parts have rates.")
    if bool(collaborator) == bool(grade):
        problems["grade"] = gettext("A rate is for one collaborator or for one grade, not both or neither.")
    if hourly_rate is None and daily_rate is None:
        problems["hourly_rate"] = gettext("Give an hourly rate, a daily rate or both.")
    for name, value in (("hourly_rate", hourly_rate), ("daily_rate", daily_rate)):
        if value is not None and value < 0:
            problems[name] = gettext("A rate cannot be negative.")
    return problems


def set_rate(*, part: EngagementPart, collaborator, grade: str, hourly_rate: Decimal | None,
             daily_rate: Decimal | None, bring_in_step: Callable[..., object], user=None) -> PartRate:
    """The part's rate for a collaborator or a grade (it replaces the one it had); the drafts follow."""
    if problems := rate_problems(part=part, collaborator=collaborator, grade=grade, hourly_rate=hourly_rate,
                                 daily_rate=daily_rate):
        raise EngagementRefused(problems)
    with transaction.atomic():
        rate, _ = PartRate.objects.update_or_create(
            part=part, collaborator=collaborator or None, grade="" if collaborator else grade,
            defaults={"hourly_rate": hourly_rate, "daily_rate": daily_rate})
        record(user=user, action="part_rate", obj=rate, after={
            "part": str(part), "collaborator": str(collaborator or ""), "grade": rate.grade,
            "hourly_rate": str(hourly_rate), "daily_rate": str(daily_rate)})
        bring_in_step(clients=[part.engagement.client_id])
    return rate


def remove_rate(*, rate: PartRate, bring_in_step: Callable[..., object], user=None) -> None:
    with transaction.atomic():
        record(user=user, action="remove_part_rate", obj=rate, before={
            "part": str(rate.part), "collaborator": str(rate.collaborator or ""), "grade": rate.grade,
            "hourly_rate": str(rate.hourly_rate), "daily_rate": str(rate.daily_rate)})
        client_id = rate.part.engagement.client_id
        rate.delete()
        bring_in_step(clients=[client_id])
