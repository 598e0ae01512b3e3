"""Changes to clients: created and changed with their billing addresses, and their dated billing conditions.

Billing is built on clients, so bringing the drafts of months already run in step is passed in by the caller
(prebill.billing.services.bring_in_step, from billing's views and the REST API).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.db import IntegrityError, transaction
from django.utils.translation import gettext, gettext_lazy

from prebill.audit.services import record
from prebill.core.grouping import LineMode, PaymentTerms
from prebill.core.identifiers import french_vat_key, siren_problem, siret_problem, vat_number_problem
from prebill.core.legal import LegalRefusal, check_buyer_identified, check_payment_terms
from prebill.core.refusals import Refusal
from prebill.core.vat import VatRegime
from prebill.organisation.models import Organisation

from .models import TRANSACTION_CATEGORY, BillingAddress, BillingConditions, Client, DatedConditions, PaymentMethod, nature_of

MAX_PAYMENT_DAYS = 365  # as the interchange format allows


class ConditionsRefused(Refusal, ValueError):
    """A row of dated billing conditions is refused; the message says why."""


def payment_terms_agreement() -> dict:
    """The firm's sector agreement on payment terms, as `check_payment_terms` takes it (none: the legal cap)."""
    row = Organisation.objects.values("payment_terms_agreement", "payment_terms_agreement_days").first() or {}
    return {"agreement": row.get("payment_terms_agreement") or "",
            "agreement_days": row.get("payment_terms_agreement_days")}


def add_dated_conditions(*, model: type[DatedConditions], owner: dict, client_id: int, applies_from: date,
                         payment_terms_days: int, end_of_month: bool, vat_regime: str, payment_method: str,
                         line_mode: str, bring_in_step: Callable[..., object], user=None,
                         **extra) -> DatedConditions:
    """Add a row of `model` (a client's or an engagement's conditions) for `owner` (its foreign key), checked;
    the drafts of the client's months already run follow in the same transaction, and the audit keeps it."""
    if not isinstance(applies_from, date):
        raise ConditionsRefused(gettext("Give the date the conditions apply from."))
    if isinstance(payment_terms_days, bool) or not isinstance(payment_terms_days, int) \
            or not 0 <= payment_terms_days <= MAX_PAYMENT_DAYS:
        raise ConditionsRefused(gettext("Payment terms are a whole number of days from 0 to %(max)d.")
                                % {"max": MAX_PAYMENT_DAYS})
    try:
        check_payment_terms(PaymentTerms(payment_terms_days, bool(end_of_month)), **payment_terms_agreement())
    except LegalRefusal as refused:  # beyond the legal cap (L441-10), and no sector agreement allows it
        raise ConditionsRefused(refused.message, where=refused.where, **refused.params) from None
    if vat_regime not in {r.value for r in VatRegime}:
        raise ConditionsRefused(gettext("Unknown VAT regime %(value)s.") % {"value": vat_regime})
    if payment_method not in PaymentMethod.values:
        raise ConditionsRefused(gettext("Unknown payment method %(value)s.") % {"value": payment_method})
    if line_mode not in {m.value for m in LineMode}:
        raise ConditionsRefused(gettext("Unknown line presentation %(value)s.") % {"value": line_mode})
    taken = gettext("Conditions from %(date)s exist already: each date has one row.") % {
        "date": applies_from.strftime("%d/%m/%Y")}
    if model.objects.filter(**owner, applies_from=applies_from).exists():
        raise ConditionsRefused(taken)
    try:
        with transaction.atomic():
            row = model.objects.create(
                **owner, applies_from=applies_from, vat_regime=str(vat_regime),
                payment_terms_days=payment_terms_days, end_of_month=bool(end_of_month),
                payment_method=str(payment_method), line_mode=str(line_mode), **extra)
            record(user=user, action="conditions", obj=row, after={
                "applies_from": applies_from.isoformat(), "payment_terms_days": payment_terms_days,
                "end_of_month": bool(end_of_month), "vat_regime": str(vat_regime),
                "payment_method": str(payment_method), "line_mode": str(line_mode),
                **{name: str(value) for name, value in extra.items()}})
            bring_in_step(clients=[client_id], since=applies_from)  # drafts of months run follow
            return row
    except IntegrityError:  # another user added the same date meanwhile
        raise ConditionsRefused(taken) from None


def add_conditions(*, client: Client, applies_from: date, payment_terms_days: int, end_of_month: bool = False,
                   vat_regime: str = VatRegime.STANDARD, payment_method: str = PaymentMethod.TRANSFER,
                   line_mode: str = LineMode.DETAILED, currency: str = "EUR",
                   bring_in_step: Callable[..., object], user=None) -> BillingConditions:
    """Add a dated row of the client's billing conditions; the drafts of months already run follow."""
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isascii() and currency.isalpha()):
        raise ConditionsRefused(gettext("A currency is a code of three letters (EUR)."))
    return add_dated_conditions(
        model=BillingConditions, owner={"client": client}, client_id=client.pk, applies_from=applies_from,
        payment_terms_days=payment_terms_days, end_of_month=end_of_month, vat_regime=vat_regime,
        payment_method=payment_method, line_mode=line_mode, bring_in_step=bring_in_step, user=user,
        currency=currency.upper())


# Creating and changing a client -----------------------------------------------------------------------------

class ClientRefused(Refusal, ValueError):
    """A client's identity or addresses are refused; `problems` gives every field's message at once."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__(" ".join(problems.values()), where=next(iter(problems), ""))


# The English messages of prebill.core.identifiers, in the user's language (each is a msgid of the catalogue).
_IDENTIFIER_MESSAGES = {
    "a SIREN has exactly 9 digits": gettext_lazy("A SIREN has exactly 9 digits."),
    "SIREN checksum (Luhn key) does not match": gettext_lazy(
        "This SIREN is not valid: its check digit (Luhn key) does not match."),
    "a SIRET has exactly 14 digits": gettext_lazy("A SIRET has exactly 14 digits."),
    "SIRET checksum does not match": gettext_lazy("This SIRET is not valid: its check digit does not match."),
    "SIRET checksum (Luhn key) does not match": gettext_lazy(
        "This SIRET is not valid: its check digit (Luhn key) does not match."),
    "a French VAT number is FR, a 2-character key and the 9-digit SIREN": gettext_lazy(
        "A French VAT number is FR, a key of 2 characters and the 9 digits of the SIREN."),
    "a VAT number starts with a 2-letter country code followed by 2 to 13 characters": gettext_lazy(
        "A VAT number starts with the 2 letters of its country followed by 2 to 13 characters."),
}


def _identifier_message(problem: str, *, vat_number: str = "", siren: str = "") -> str:
    """The core's message in the user's language; those it builds with values are told again with them."""
    if problem in _IDENTIFIER_MESSAGES:
        return str(_IDENTIFIER_MESSAGES[problem])
    number = vat_number.replace(" ", "").upper()
    if problem.startswith("VAT number carries SIREN"):
        return gettext("This VAT number carries the SIREN %(theirs)s, not the client's SIREN %(siren)s.") % {
            "theirs": number[4:], "siren": siren}
    if problem.startswith("VAT key"):
        return gettext("The key %(key)s of this VAT number does not match the SIREN %(siren)s (expected "
                       "%(expected)s).") % {"key": number[2:4], "siren": number[4:],
                                             "expected": french_vat_key(number[4:])}
    return problem


def identity_problems(*, siren: str, siret: str, vat_number: str) -> dict[str, str]:
    """What is wrong with a SIREN, SIRET and VAT number, by field (the checks of prebill.core.identifiers, as the
    portfolio import makes them): the SIRET and VAT number are compared with a valid SIREN only."""
    problems: dict[str, str] = {}
    if siren and (problem := siren_problem(siren)):
        problems["siren"] = _identifier_message(problem)
        siren = ""
    if siret:
        if problem := siret_problem(siret):
            problems["siret"] = _identifier_message(problem)
        elif siren and not siret.startswith(siren):
            problems["siret"] = gettext("The SIRET %(siret)s does not start with the SIREN %(siren)s.") % {
                "siret": siret, "siren": siren}
    if vat_number and (problem := vat_number_problem(vat_number, siren=siren)):
        problems["vat_number"] = _identifier_message(problem, vat_number=vat_number, siren=siren)
    return problems


def client_problems(*, code: str, name: str, nature: str, siren: str, siret: str, vat_number: str,
                    addresses: list[dict], client: Client | None = None) -> dict[str, str]:
    """Every problem of a client as typed, by field ("addresses" for its addresses), all at once."""
    problems = identity_problems(siren=siren, siret=siret, vat_number=vat_number)
    if client is None and Client.objects.filter(code=code).exists():
        problems["code"] = gettext("A client with the code %(code)s exists already.") % {"code": code}
    if not addresses:
        problems["addresses"] = gettext("Give the client's billing address.")
    elif sum(1 for a in addresses if a.get("is_default")) > 1:
        problems["addresses"] = gettext("Only one address is the default one.")
    elif len({a["code"] for a in addresses}) < len(addresses):
        problems["addresses"] = gettext("Each address of the client has its own code.")
    default = next((a for a in addresses if a.get("is_default")), addresses[0] if addresses else {})
    if "siren" not in problems:
        try:  # a French company is identified by its SIREN on its invoices (BR-FR-11)
            check_buyer_identified(category=TRANSACTION_CATEGORY[nature_of(nature, country=default.get("country", "FR"))],
                                   siren=siren, client=f"{code} {name}")
        except LegalRefusal as refused:
            problems["siren"] = refused.translated(gettext)
    return problems


def payment_terms_problem(days: int, end_of_month: bool) -> str | None:
    """Why payment terms are refused (beyond the legal cap L441-10 that no sector agreement of the firm lifts)."""
    try:
        check_payment_terms(PaymentTerms(days, bool(end_of_month)), **payment_terms_agreement())
    except LegalRefusal as refused:
        return refused.translated(gettext)
    return None


CLIENT_FIELDS = ("name", "nature", "siren", "siret", "vat_number", "email", "active", "training_billing")
ADDRESS_FIELDS = ("code", "line1", "line2", "postcode", "city", "country", "is_default")


def _client_state(client: Client) -> dict:
    return {**{name: getattr(client, name) for name in ("code", *CLIENT_FIELDS)},
            "addresses": [{name: getattr(a, name) for name in ADDRESS_FIELDS}
                          for a in client.addresses.order_by("code")]}


def save_client(*, client: Client | None, values: dict, addresses: list[dict],
                bring_in_step: Callable[..., object], conditions: dict | None = None, user=None) -> Client:
    """Create a client (`client` None, `values` with its code) or change one, with its billing addresses (those
    not given are removed while no engagement bills to them), checked as a whole; the first conditions of a new
    client are added with it. The audit keeps the change and the drafts of the months already run follow."""
    code = values.get("code", client.code if client else "")
    addresses = [{**a, "country": (a.get("country") or "FR").upper()} for a in addresses]
    if addresses and not any(a.get("is_default") for a in addresses):
        addresses[0]["is_default"] = True  # one address is always the default one
    problems = client_problems(code=code, addresses=addresses, client=client,
                               **{name: values.get(name, "") for name in ("name", "nature", "siren", "siret",
                                                                          "vat_number")})
    if problems:
        raise ClientRefused(problems)
    with transaction.atomic():
        before = None
        if client is None:
            client = Client(code=code)
        else:
            client = Client.objects.select_for_update().get(pk=client.pk)
            before = _client_state(client)
        for name in CLIENT_FIELDS:
            if name in values:
                setattr(client, name, values[name])
        try:
            with transaction.atomic():
                client.save()
        except IntegrityError:  # another user took the code meanwhile
            raise ClientRefused({"code": gettext("A client with the code %(code)s exists already.")
                                 % {"code": code}}) from None
        _save_addresses(client, addresses)
        record(user=user, action="change_client" if before else "create_client", obj=client, before=before,
               after=_client_state(client))
        if conditions:
            add_conditions(client=client, bring_in_step=bring_in_step, user=user, **conditions)
        elif before:
            bring_in_step(clients=[client.pk])  # its drafts show its name, addresses and category
    return client


def _save_addresses(client: Client, addresses: list[dict]) -> None:
    existing = {a.code: a for a in client.addresses.all()}
    wanted = {a["code"] for a in addresses}
    gone = [a for code, a in existing.items() if code not in wanted]
    if gone:
        used = client.engagements.filter(billing_address__in=gone).values_list("billing_address__code", flat=True)
        if used := sorted(set(used)):
            raise ClientRefused({"addresses": gettext(
                "The address %(code)s is the billing address of an engagement: keep it.") % {"code": used[0]}})
        BillingAddress.objects.filter(pk__in=[a.pk for a in gone]).delete()
    for row in addresses:
        address = existing.get(row["code"]) or BillingAddress(client=client)
        for name in ADDRESS_FIELDS:
            setattr(address, name, row.get(name, "") if name != "is_default" else bool(row.get("is_default")))
        address.save()
