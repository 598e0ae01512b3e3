"""The portfolio interchange file (docs/interchange.md): check all, then write all or nothing."""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from datetime import date, time
from decimal import Decimal
from importlib import resources
from pathlib import Path

import fastjsonschema
from django.db import transaction
from jsonschema import Draft202012Validator

from prebill.billing.models import BillableItem
from prebill.catalogue.models import Article, ArticleRule
from prebill.clients.models import TRANSACTION_CATEGORY, BillingAddress, BillingConditions, Client, nature_of
from prebill.clients.services import payment_terms_agreement
from prebill.core.grouping import PaymentTerms
from prebill.core.holidays import DayKind
from prebill.core.identifiers import siren_problem, siret_problem, vat_number_problem
from prebill.core.legal import LegalRefusal, check_buyer_identified, check_payment_terms
from prebill.core.overtime import OvertimeError, check_band
from prebill.core.overtime import SurchargeBand as CoreBand
from prebill.core.refusals import gettext_noop
from prebill.core.schedules import Frequency, ScheduleError, check_explicit_schedule, expand_schedule
from prebill.core.vat import vat_rate_problem
from prebill.costs.models import OvertimeTerms, SurchargeBand
from prebill.engagements.models import (
    Engagement,
    EngagementConditions,
    EngagementPart,
    Installment,
    PartRate,
    Task,
)
from prebill.invoicing.models import InvoiceLineItem
from prebill.orders.models import CustomerOrder, DeliveryNote
from prebill.organisation.models import InvoiceSeries, Organisation
from prebill.team.models import Collaborator, CollaboratorGroup

from .activity import check_metric_rows, check_time_rows, write_time_entries, write_unit_metrics
from .orders import check_documents, refuse_billed_changes, write_documents
from .problems import Checker, ImportRejected, Problem, Term, json_path
from .references import References, article_ref
from .training import check_products, check_sessions, export_training, write_products, write_sessions
from .upsert import upsert

FORMAT = "prebill-portfolio"
VERSION = 1


@functools.cache
def portfolio_schema() -> dict:
    return json.loads(resources.files("prebill.imports").joinpath("portfolio.schema.json").read_text())


@functools.cache
def _fast_validator():
    # The schema only uses draft-07 keywords; fastjsonschema compiles it to plain Python (40x faster).
    return fastjsonschema.compile({**portfolio_schema(), "$schema": "http://json-schema.org/draft-07/schema#"})


def schema_problems(data: dict) -> list[Problem]:
    """Every structural problem of the file with its JSON path (a valid file is checked by the fast path)."""
    try:
        _fast_validator()(data)
        return []
    except fastjsonschema.JsonSchemaException:
        errors = Draft202012Validator(portfolio_schema()).iter_errors(data)
        return [_schema_problem(e) for e in sorted(errors, key=lambda e: list(e.path))]


def load_portfolio_file(path: Path) -> dict:
    """Read a portfolio file; numbers are read as exact decimals, syntax errors say line and column."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise ImportRejected(str(path), [Problem(str(path), gettext_noop("cannot read the file: %(reason)s"),
                                                 reason=error.strerror)]) from None
    except UnicodeDecodeError:
        raise ImportRejected(str(path), [Problem(str(path), gettext_noop("the file is not UTF-8 text"))]) from None
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise ImportRejected(str(path), [Problem(where, gettext_noop("invalid JSON: %(reason)s"), reason=error.msg)]) from None


def import_portfolio(data: dict, *, source: str = "portfolio") -> dict[str, dict[str, int]]:
    """Check the whole file, then upsert it by business codes in one transaction."""
    checker = Checker()
    checker.problems.extend(schema_problems(data))
    if checker.problems:
        raise checker.rejected(source)
    plan = _Plan(data, References.from_database(), checker)
    plan.check()
    if checker.problems:
        raise checker.rejected(source)
    with transaction.atomic():
        return plan.write()


_SCHEMA_LIMITS = {
    "maxLength": gettext_noop("%(value)s is too long (at most %(limit)s characters)"),
    "minLength": gettext_noop("%(value)s is too short (at least %(limit)s characters)"),
    "minimum": gettext_noop("%(value)s is less than the minimum of %(limit)s"),
    "maximum": gettext_noop("%(value)s is greater than the maximum of %(limit)s"),
    "minItems": gettext_noop("%(value)s has fewer than %(limit)s item(s)"),
}


def _schema_problem(error) -> Problem:
    """A structural problem in our words (the validator's own English, untranslated, for a keyword not listed)."""
    where, value = json_path(error.absolute_path), repr(error.instance)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        unknown = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return Problem(where, gettext_noop("unknown field(s): %(fields)s"), fields=", ".join(map(repr, unknown)))
    if error.validator == "required":
        return Problem(where, gettext_noop("missing field %(field)s"), field=error.message.split(" ")[0])
    if error.validator == "pattern":
        return Problem(where, gettext_noop("%(value)s does not have the expected form"), value=value)
    if error.validator in ("enum", "const"):
        allowed = error.validator_value if error.validator == "enum" else [error.validator_value]
        return Problem(where, gettext_noop("%(value)s is not one of %(allowed)s"), value=value,
                       allowed=", ".join(map(repr, allowed)))
    if error.validator == "type":
        types = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return Problem(where, gettext_noop("%(value)s is not of type %(type)s"), value=value,
                       type=", ".join(map(repr, types)))
    if error.validator == "anyOf":
        return Problem(where, gettext_noop("%(value)s has none of the accepted forms"), value=value)
    if error.validator in _SCHEMA_LIMITS:
        return Problem(where, _SCHEMA_LIMITS[error.validator], value=value, limit=error.validator_value)
    return Problem(where, error.message)


class _Plan:
    """A checked portfolio file: codes resolved, values typed, ready to write."""

    def __init__(self, data: dict, refs: References, checker: Checker):
        self.data = data
        self.refs = refs
        self.c = checker
        self.collaborators: dict[str, dict] = {}
        self.articles: dict[str, dict] = {}
        self.clients: dict[str, dict] = {}
        self.engagements: dict[str, dict] = {}
        self.rules: dict[str, dict] = {}
        self.time_rows: list[dict] = []
        self.metric_rows: list[dict] = []
        self.documents: dict[str, list[dict]] = {}
        self.training_products: list[dict] = []
        self.training_sessions: list[dict] = []

    # -- checking --------------------------------------------------------------------------

    def check(self) -> None:
        if "organisation" in self.data:
            self._check_organisation(self.data["organisation"])
        self._unique("collaborator_groups", lambda g: g["code"], gettext_noop("group code"))
        for group in self.data.get("collaborator_groups", []):
            self.refs.groups.setdefault(group["code"], None)
        self._check_collaborators()
        self._check_articles()
        self._check_clients()
        self._check_engagements()
        self._check_rules()
        located = lambda section: (  # noqa: E731
            (lambda field, i=i: f"$.{section}[{i}].{field}", row) for i, row in enumerate(self.data.get(section, []))
        )
        self.time_rows = check_time_rows(located("time_entries"), self.refs, self.c)
        self.metric_rows = check_metric_rows(located("unit_metrics"), self.refs, self.c)
        located_rows = lambda section: ((f"$.{section}[{i}]", row)  # noqa: E731
                                        for i, row in enumerate(self.data.get(section, [])))
        for section, delivery in (("customer_orders", False), ("delivery_notes", True)):
            rows = check_documents(located_rows(section), self.refs, self.c, delivery=delivery)
            if not self.c.problems:
                refuse_billed_changes(rows, self.refs, self.c, delivery=delivery)
            self.documents[section] = rows
        self.training_products = check_products(located_rows("training_products"), self.refs, self.c)
        self.training_sessions = check_sessions(located_rows("training_sessions"), self.refs,
                                                (p["reference"] for p in self.training_products), self.c)

    def _unique(self, section: str, key, what: str, rows=None, base: str | None = None) -> None:
        """Each row's key once; `what` names the key (a msgid: gettext_noop("client code"))."""
        seen: dict = {}
        rows = self.data.get(section, []) if rows is None else rows
        for index, row in enumerate(rows):
            k = key(row)
            where = f"{base or '$.' + section}[{index}]"
            if k in seen:
                self.c.add(where, gettext_noop("duplicate %(what)s %(value)s: also at %(other)s"), what=Term(what),
                           value=repr(k), other=seen[k])
            else:
                seen[k] = where

    def _identity(self, row: dict, path: str) -> None:
        siren = row.get("siren", "")
        if siren and (problem := siren_problem(siren)):
            self.c.add(f"{path}.siren", problem)
            siren = ""  # compare SIRET and VAT number with a valid SIREN only
        if row.get("siret"):
            if problem := siret_problem(row["siret"]):
                self.c.add(f"{path}.siret", problem)
            elif siren and not row["siret"].startswith(siren):
                self.c.add(f"{path}.siret", gettext_noop("SIRET %(siret)s does not start with the SIREN %(siren)s"),
                           siret=row["siret"], siren=siren)
        if row.get("vat_number") and (problem := vat_number_problem(row["vat_number"], siren=siren)):
            self.c.add(f"{path}.vat_number", problem)

    def _check_organisation(self, org: dict) -> None:
        self._identity(org, "$.organisation")
        self.c.decimal(org.get("hours_per_day"), "$.organisation.hours_per_day", minimum=Decimal("0.01"),
                       maximum=Decimal(24), what=gettext_noop("hours per day"))
        self._unique("invoice_series", lambda s: s["code"], gettext_noop("series code"), org.get("invoice_series", []),
                     "$.organisation.invoice_series")

    def _check_collaborators(self) -> None:
        self._unique("collaborators", lambda c: c["code"], gettext_noop("collaborator code"))
        for i, row in enumerate(self.data.get("collaborators", [])):
            path = f"$.collaborators[{i}]"
            for j, group in enumerate(row.get("groups", [])):
                if group not in self.refs.groups:
                    self.c.add(f"{path}.groups[{j}]", gettext_noop("unknown collaborator group %(code)s"), code=repr(group))
            self.collaborators[row["code"]] = {
                "code": row["code"], "name": row["name"], "grade": row.get("grade", ""),
                "hourly_rate": self.c.decimal(row.get("hourly_rate"), f"{path}.hourly_rate", what=gettext_noop("hourly rate")),
                "daily_rate": self.c.decimal(row.get("daily_rate"), f"{path}.daily_rate", what=gettext_noop("daily rate")),
                "active": row.get("active", True), "groups": row.get("groups", []),
            }
            self.refs.collaborators.setdefault(row["code"], None)

    def _check_articles(self) -> None:
        self._unique("articles", lambda a: article_ref(a["code"], a.get("sub_code", "")), gettext_noop("article"))
        for i, row in enumerate(self.data.get("articles", [])):
            path = f"$.articles[{i}]"
            rate = self.c.decimal(row.get("vat_rate", "20"), f"{path}.vat_rate", what=gettext_noop("VAT rate"))
            if rate is not None and vat_rate_problem(rate):
                self.c.add(f"{path}.vat_rate", gettext_noop("VAT rate %(rate)s %% is out of range (0 to 100 excluded)"),
                           rate=rate)
            ref = article_ref(row["code"], row.get("sub_code", ""))
            self.articles[ref] = {
                "code": row["code"], "sub_code": row.get("sub_code", ""), "label": row["label"],
                "unit": row.get("unit", "unit"), "vat_rate": rate,
                "unit_price": self.c.decimal(row.get("unit_price"), f"{path}.unit_price", places=4,
                                             what=gettext_noop("unit price")),
                "revenue_account": row.get("revenue_account", "706000"),
            }
            self.refs.articles.setdefault(ref, None)

    def _check_clients(self) -> None:
        self._unique("clients", lambda c: c["code"], gettext_noop("client code"))
        for i, row in enumerate(self.data.get("clients", [])):
            path = f"$.clients[{i}]"
            self._identity(row, path)
            addresses = row.get("addresses", [])
            self._unique("addresses", lambda a: a.get("code", "main"), gettext_noop("address code"), addresses,
                         f"{path}.addresses")
            if sum(1 for a in addresses if a.get("default")) > 1:
                self.c.add(f"{path}.addresses", gettext_noop("more than one address is marked default"))
            conditions = row.get("billing_conditions", [])
            self._unique("billing_conditions", lambda b: b["applies_from"], gettext_noop("applies_from date"), conditions,
                         f"{path}.billing_conditions")
            for j, cond in enumerate(conditions):
                self.c.date(cond["applies_from"], f"{path}.billing_conditions[{j}].applies_from")
                self._check_terms(cond, f"{path}.billing_conditions[{j}]")
            self._check_buyer_identified(row, path)
            self.clients[row["code"]] = row
            self.refs.clients.setdefault(row["code"], None)
            for address in addresses:
                self.refs.addresses.setdefault((row["code"], address.get("code", "main")), None)

    def _check_engagements(self) -> None:
        self._unique("engagements", lambda e: e["code"], gettext_noop("engagement code"))
        self._check_currencies()
        for i, row in enumerate(self.data.get("engagements", [])):
            path = f"$.engagements[{i}]"
            code, client = row["code"], row["client"]
            if client not in self.refs.clients:
                self.c.add(f"{path}.client", gettext_noop("unknown client %(code)s"), code=repr(client))
            elif self.refs.engagement_clients.get(code, client) != client and \
                    BillableItem.objects.filter(engagement__code=code).exists():
                self.c.add(f"{path}.client", gettext_noop("engagement %(engagement)s already has billable items for client "
                                                          "%(current)s; it cannot move to %(client)s"),
                           engagement=code, current=self.refs.engagement_clients[code], client=client)
            for role in ("manager", "salesperson"):
                if row.get(role) and row[role] not in self.refs.collaborators:
                    self.c.add(f"{path}.{role}", gettext_noop("unknown collaborator %(code)s"), code=repr(row[role]))
            if row.get("billing_address") and (client, row["billing_address"]) not in self.refs.addresses:
                self.c.add(f"{path}.billing_address", gettext_noop("client %(client)s has no address %(address)s"),
                           client=client, address=repr(row["billing_address"]))
            self.refs.engagements.setdefault(code, None)
            self.refs.engagement_clients[code] = client
            parts = row.get("parts", [])
            self._unique("parts", lambda p: p["code"], gettext_noop("part code"), parts, f"{path}.parts")
            checked_parts = [self._check_part(code, part, f"{path}.parts[{j}]") for j, part in enumerate(parts)]
            tasks = row.get("tasks", [])
            self._unique("tasks", lambda t: t["code"], gettext_noop("task code"), tasks, f"{path}.tasks")
            for task in tasks:
                self.refs.tasks.setdefault((code, task["code"]), None)
            for j, task in enumerate(tasks):
                self._check_task(code, task, tasks, f"{path}.tasks[{j}]")
            self.engagements[code] = {"row": row, "parts": checked_parts,
                                      "conditions": self._check_engagement_conditions(row, path)}

    @functools.cached_property
    def _agreement(self) -> dict:
        """The sector agreement on payment terms: the file's, else the one the firm records."""
        org, agreement = self.data.get("organisation", {}), payment_terms_agreement()
        if "payment_terms_agreement" in org:
            agreement["agreement"] = org["payment_terms_agreement"]
        if "payment_terms_agreement_days" in org:
            agreement["agreement_days"] = org["payment_terms_agreement_days"]
        return agreement

    def _check_terms(self, cond: dict, where: str) -> None:
        """Payment terms beyond the legal cap (L441-10) are refused, unless the firm's sector agreement (in the
        file, else as recorded) allows them."""
        try:
            check_payment_terms(PaymentTerms(cond.get("payment_terms_days", 30), bool(cond.get("end_of_month"))),
                                **self._agreement)
        except LegalRefusal as refused:
            self.c.refused(f"{where}.payment_terms_days", refused)

    def _check_buyer_identified(self, row: dict, path: str) -> None:
        """A French company (its nature, or a French default address) must come with its SIREN."""
        addresses = row.get("addresses", [])
        default = next((a for a in addresses if a.get("default")), addresses[0] if addresses else {})
        nature = nature_of(row.get("nature", ""), country=default.get("country", "FR"))
        try:
            check_buyer_identified(category=TRANSACTION_CATEGORY[nature], siren=row.get("siren", ""),
                                   client=f"{row['code']} {row['name']}")
        except LegalRefusal as refused:
            self.c.refused(f"{path}.siren", refused)

    def _check_engagement_conditions(self, row: dict, path: str) -> list[dict] | None:
        """The engagement's own dated conditions the file wants, or None to leave them as they are."""
        if "billing_conditions" not in row:
            return None
        where = f"{path}.billing_conditions"
        self._unique("billing_conditions", lambda b: b["applies_from"], gettext_noop("applies_from date"),
                     row["billing_conditions"], where)
        for j, cond in enumerate(row["billing_conditions"]):
            self._check_terms(cond, f"{where}[{j}]")
        return [
            {"applies_from": self.c.date(cond["applies_from"], f"{where}[{j}].applies_from"),
             "vat_regime": cond.get("vat_regime", "standard"), "payment_terms_days": cond.get("payment_terms_days", 30),
             "end_of_month": cond.get("end_of_month", False), "payment_method": cond.get("payment_method", "transfer"),
             "line_mode": cond.get("line_mode", "detailed")}
            for j, cond in enumerate(row["billing_conditions"])
        ]

    def _check_currencies(self) -> None:
        """An engagement's currency cannot change once it has an invoice (two queries, whatever the size)."""
        rows = self.data.get("engagements", [])
        current = dict(Engagement.objects.filter(code__in=[r["code"] for r in rows]).values_list("code", "currency"))
        changed = {r["code"] for r in rows if r["code"] in current and r.get("currency", "EUR") != current[r["code"]]}
        if not changed:
            return
        invoiced = set(InvoiceLineItem.objects.filter(item__engagement__code__in=changed)
                       .values_list("item__engagement__code", flat=True).distinct())
        for i, row in enumerate(rows):
            if row["code"] in invoiced:
                self.c.add(f"$.engagements[{i}].currency",
                           gettext_noop("engagement %(engagement)s has invoices in %(currency)s: its currency cannot change"),
                           engagement=row["code"], currency=current[row["code"]])

    def _check_part(self, engagement: str, part: dict, path: str) -> dict:
        kind = part["kind"]
        self.refs.parts.setdefault((engagement, part["code"]), None)
        self.refs.part_kinds[(engagement, part["code"])] = kind
        if part.get("article") and part["article"] not in self.refs.articles:
            self.c.add(f"{path}.article", gettext_noop("unknown article %(code)s"), code=repr(part["article"]))
        elif not part.get("article") and kind != "time_and_materials":
            self.c.add(f"{path}.article", gettext_noop("a %(kind)s part needs an article"), kind=kind)
        unit_price = self.c.decimal(part.get("unit_price"), f"{path}.unit_price", places=4, what=gettext_noop("unit price"))
        if kind == "units" and part.get("unit_price") in (None, "") and not part.get("installments"):
            self.c.add(f"{path}.unit_price", gettext_noop("a units part needs a unit price"))
        fee = self.c.decimal(part.get("fee_amount"), f"{path}.fee_amount", what=gettext_noop("fee"))
        installments = self._check_schedule(part, fee, path)
        rates = []
        for j, rate in enumerate(part.get("rates", [])):
            where = f"{path}.rates[{j}]"
            if kind != "time_and_materials":
                self.c.add(where, gettext_noop("only time and materials parts have rates"))
            if bool(rate.get("collaborator")) == bool(rate.get("grade")):
                self.c.add(where, gettext_noop("a rate is for one collaborator or for one grade, not both or neither"))
            elif rate.get("collaborator") and rate["collaborator"] not in self.refs.collaborators:
                self.c.add(f"{where}.collaborator", gettext_noop("unknown collaborator %(code)s"),
                           code=repr(rate["collaborator"]))
            rates.append({
                "collaborator": rate.get("collaborator", ""), "grade": rate.get("grade", ""),
                "hourly_rate": self.c.decimal(rate.get("hourly_rate"), f"{where}.hourly_rate", what=gettext_noop("hourly rate")),
                "daily_rate": self.c.decimal(rate.get("daily_rate"), f"{where}.daily_rate", what=gettext_noop("daily rate")),
            })
        return {
            "values": {
                "code": part["code"], "label": part.get("label", part["code"]), "kind": kind,
                "on_own_invoice": part.get("on_own_invoice", False),
                "billing_unit": part.get("billing_unit", "hour"), "unit_price": unit_price,
                "metric_code": part.get("metric_code", ""), "fee_amount": fee, "frequency": part.get("frequency", ""),
            },
            "article": part.get("article"), "installments": installments, "rates": rates,
            "overtime": self._check_overtime(part, kind, path),
        }

    def _check_overtime(self, part: dict, kind: str, path: str) -> dict | None:
        """The part's overtime conditions: an hourly rate and surcharge bands by kind of day and time range."""
        if "overtime" not in part:
            return None
        where, overtime = f"{path}.overtime", part["overtime"]
        if kind != "time_and_materials":
            self.c.add(where, gettext_noop("only time and materials parts have overtime conditions"))
        bands = []
        for j, band in enumerate(overtime.get("bands", [])):
            at = f"{where}.bands[{j}]"
            start, end = time.fromisoformat(band["start"]), time.fromisoformat(band["end"])
            percent = self.c.decimal(band["percent"], f"{at}.percent", what=gettext_noop("surcharge"))
            try:
                check_band(CoreBand(DayKind(band["day_kind"]), start, end, percent or Decimal(0)))
            except OvertimeError as error:
                self.c.refused(at, error)
            bands.append({"day_kind": band["day_kind"], "start": start, "end": end, "percent": percent})
        return {"hourly_rate": self.c.decimal(overtime.get("hourly_rate"), f"{where}.hourly_rate",
                                              what=gettext_noop("overtime hourly rate")), "bands": bands}

    def _check_schedule(self, part: dict, fee: Decimal | None, path: str) -> list[dict] | None:
        """Installments the file wants for the part, or None to leave them as they are."""
        if "schedule" in part and "installments" in part:
            self.c.add(path, gettext_noop("give either a schedule or explicit installments, not both"))
            return None
        if "schedule" in part:
            start = self.c.date(part["schedule"]["start"], f"{path}.schedule.start")
            end = self.c.date(part["schedule"]["end"], f"{path}.schedule.end")
            if fee is None or not part.get("frequency"):
                self.c.add(f"{path}.schedule", gettext_noop("a schedule needs fee_amount and frequency"))
                return None
            if start is None or end is None:
                return None
            try:
                expanded = expand_schedule(fee, Frequency(part["frequency"]), start=start, end=end)
            except ScheduleError as error:
                self.c.refused(f"{path}.schedule", error)
                return None
            return [
                {"due_date": s.due_date, "amount": s.amount, "quantity": None, "label": "",
                 "period_start": s.period_start, "period_end": s.period_end}
                for s in expanded
            ]
        if "installments" not in part:
            return None
        installments = []
        for j, row in enumerate(part["installments"]):
            where = f"{path}.installments[{j}]"
            installments.append({
                "due_date": self.c.date(row["due_date"], f"{where}.due_date"),
                "amount": self.c.decimal(row["amount"], f"{where}.amount", what=gettext_noop("installment amount")),
                "quantity": self.c.decimal(row.get("quantity"), f"{where}.quantity", places=4, what=gettext_noop("quantity")),
                "label": row.get("label", ""),
                "period_start": self.c.date(row["period_start"], f"{where}.period_start") if row.get("period_start") else None,
                "period_end": self.c.date(row["period_end"], f"{where}.period_end") if row.get("period_end") else None,
            })
        self._unique("installments", lambda r: r["due_date"], gettext_noop("installment due date"), part["installments"],
                     f"{path}.installments")
        amounts = [row["amount"] for row in installments if row["amount"] is not None]
        if len(amounts) == len(installments) and (problem := check_explicit_schedule(fee, amounts)):
            self.c.add(f"{path}.installments", problem)
        return installments

    def _check_task(self, engagement: str, task: dict, tasks: list[dict], path: str) -> None:
        if task.get("part") and (engagement, task["part"]) not in self.refs.parts:
            self.c.add(f"{path}.part", gettext_noop("engagement %(engagement)s has no part %(part)s"), engagement=engagement,
                       part=repr(task["part"]))
        parent = task.get("parent")
        if parent and (engagement, parent) not in self.refs.tasks:
            self.c.add(f"{path}.parent", gettext_noop("engagement %(engagement)s has no task %(task)s"),
                       engagement=engagement, task=repr(parent))
        parents = {t["code"]: t.get("parent") for t in tasks}
        seen = {task["code"]}
        while parent in parents:
            if parent in seen:
                self.c.add(f"{path}.parent", gettext_noop("task %(task)s is its own ancestor"), task=task["code"])
                break
            seen.add(parent)
            parent = parents[parent]

    def _check_rules(self) -> None:
        self._unique("article_rules", lambda r: r["code"], gettext_noop("rule code"))
        checks = (("client", self.refs.clients, gettext_noop("unknown client %(code)s")),
                  ("engagement", self.refs.engagements, gettext_noop("unknown engagement %(code)s")),
                  ("collaborator", self.refs.collaborators, gettext_noop("unknown collaborator %(code)s")),
                  ("group", self.refs.groups, gettext_noop("unknown group %(code)s")))
        for i, row in enumerate(self.data.get("article_rules", [])):
            path = f"$.article_rules[{i}]"
            if row["article"] not in self.refs.articles:
                self.c.add(f"{path}.article", gettext_noop("unknown article %(code)s"), code=repr(row["article"]))
            for name, known, unknown in checks:
                if row.get(name) and row[name] not in known:
                    self.c.add(f"{path}.{name}", unknown, code=repr(row[name]))
            self.rules[row["code"]] = row

    # -- writing ---------------------------------------------------------------------------

    def write(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        if "organisation" in self.data:
            self._write_organisation(self.data["organisation"])
        if groups := self.data.get("collaborator_groups"):
            _, counts["collaborator_groups"] = upsert(
                CollaboratorGroup, {g.code: g for g in CollaboratorGroup.objects.all()},
                {g["code"]: {"code": g["code"], "label": g["label"]} for g in groups},
            )
        if self.collaborators:
            counts["collaborators"] = self._write_collaborators()
        if self.articles:
            _, counts["articles"] = upsert(
                Article, {article_ref(a.code, a.sub_code): a for a in Article.objects.all()}, self.articles
            )
        if self.clients:
            counts["clients"] = self._write_clients()
        refs = References.from_database()
        if self.engagements:
            counts["engagements"] = self._write_engagements(refs)
            refs = References.from_database()
        if self.rules:
            counts["article_rules"] = self._write_rules(refs)
        if self.time_rows:
            counts["time_entries"] = write_time_entries(self.time_rows, refs)
        if self.metric_rows:
            counts["unit_metrics"] = write_unit_metrics(self.metric_rows, refs)
        for section, rows in self.documents.items():
            if rows:
                counts[section] = write_documents(rows, refs, delivery=section == "delivery_notes")
        # Products before the sessions that name them; both after the clients, articles and trainers they name.
        if self.training_products:
            counts["training_products"] = write_products(self.training_products)
        if self.training_sessions:
            counts["training_sessions"] = write_sessions(self.training_sessions)
        self._bring_drafts_in_step(counts, refs)
        return counts

    def _bring_drafts_in_step(self, counts: dict, refs: References) -> None:
        """Months already run follow what the file changed: its clients' drafts, or every draft when it
        changed what all of them are valued with (the firm, articles, collaborators, rules)."""
        from prebill.billing.services import bring_in_step  # billing builds on what imports write

        changed = {name for name, c in counts.items() if isinstance(c, dict) and any(
            c.get(key) for key in ("created", "updated", "deleted", "removed"))}
        if "organisation" in self.data or changed & {"collaborators", "articles", "article_rules",
                                                     "collaborator_groups"}:
            bring_in_step(clients=None)
        elif changed:
            clients = {refs.clients[code] for code in self.clients if code in refs.clients}
            clients |= {refs.clients[row["client"]] for row in self.metric_rows if row["client"] in refs.clients}
            codes = {row["engagement"] for row in self.time_rows} | set(self.engagements)
            clients |= set(Engagement.objects.filter(code__in=codes).values_list("client_id", flat=True))
            bring_in_step(clients=clients)

    def _write_organisation(self, row: dict) -> None:
        address = row.get("address", {})
        values = {
            "legal_name": row["legal_name"], "legal_form": row.get("legal_form", ""), "siren": row["siren"],
            "vat_number": row.get("vat_number", ""), "address_line1": address.get("line1", ""),
            "address_line2": address.get("line2", ""), "postcode": address.get("postcode", ""),
            "city": address.get("city", ""), "country": address.get("country", "FR"), "iban": row.get("iban", ""),
            "bic": row.get("bic", ""), "hours_per_day": Decimal(str(row.get("hours_per_day", "7"))),
            "bill_only_approved_time": row.get("bill_only_approved_time", False),
            "time_rounding_minutes": row.get("time_rounding_minutes", 0),
        }
        if "training_billing" in row:  # absent: the firm keeps its option (a new firm: one invoice per pair)
            values["training_billing"] = row["training_billing"]
        if "share_capital" in row:  # absent, each of these keeps what the firm has
            values["share_capital"] = None if row["share_capital"] is None else Decimal(str(row["share_capital"]))
        for key in ("rcs_city", "vat_on_debits", "payment_terms_agreement", "payment_terms_agreement_days"):
            if key in row:
                values[key] = row[key]
        organisation = Organisation.objects.first()
        organisation, _ = upsert(Organisation, {1: organisation} if organisation else {}, {1: values})
        upsert(
            InvoiceSeries, {s.code: s for s in InvoiceSeries.objects.all()},
            {
                s["code"]: {"organisation_id": organisation[1].pk, "code": s["code"], "kind": s.get("kind", "both"),
                            "prefix": s.get("prefix", "F{year}-"), "digits": s.get("digits", 6),
                            "is_default": s.get("is_default", False)}
                for s in row.get("invoice_series", [])
            },
        )

    def _write_collaborators(self) -> dict[str, int]:
        wanted = {code: {k: v for k, v in row.items() if k != "groups"} for code, row in self.collaborators.items()}
        saved, counts = upsert(Collaborator, {c.code: c for c in Collaborator.objects.all()}, wanted)
        groups = {g.code: g.pk for g in CollaboratorGroup.objects.all()}
        through = Collaborator.groups.through
        current = defaultdict(set)
        for collaborator_id, group_id in through.objects.filter(
            collaborator_id__in=[c.pk for c in saved.values()]
        ).values_list("collaborator_id", "collaboratorgroup_id"):
            current[collaborator_id].add(group_id)
        for code, row in self.collaborators.items():
            pk = saved[code].pk
            wanted_groups = {groups[g] for g in row["groups"]}
            if wanted_groups != current[pk]:
                through.objects.filter(collaborator_id=pk).delete()
                through.objects.bulk_create(
                    [through(collaborator_id=pk, collaboratorgroup_id=g) for g in sorted(wanted_groups)]
                )
        return counts

    def _write_clients(self) -> dict[str, int]:
        saved, counts = upsert(
            Client, {c.code: c for c in Client.objects.all()},
            {
                code: {"code": code, "name": row["name"], "siren": row.get("siren", ""), "siret": row.get("siret", ""),
                       "vat_number": row.get("vat_number", ""), "email": row.get("email", ""),
                       "active": row.get("active", True),
                       # Absent, a client keeps its option and a new one follows the firm's default ("").
                       **({"training_billing": row["training_billing"]} if "training_billing" in row else {}),
                       **({"nature": row["nature"]} if "nature" in row else {})}
                for code, row in self.clients.items()
            },
        )
        ids = [client.pk for client in saved.values()]
        wanted_addresses, wanted_conditions = {}, {}
        for code, row in self.clients.items():
            pk = saved[code].pk
            addresses = row.get("addresses", [])
            for index, address in enumerate(addresses):
                is_default = address.get("default", False) or (index == 0 and not any(a.get("default") for a in addresses))
                wanted_addresses[(pk, address.get("code", "main"))] = {
                    "client_id": pk, "code": address.get("code", "main"), "line1": address["line1"],
                    "line2": address.get("line2", ""), "postcode": address["postcode"], "city": address["city"],
                    "country": address.get("country", "FR"), "is_default": is_default,
                }
            for cond in row.get("billing_conditions", []):
                applies_from = date.fromisoformat(cond["applies_from"])
                wanted_conditions[(pk, applies_from)] = {
                    "client_id": pk, "applies_from": applies_from, "vat_regime": cond.get("vat_regime", "standard"),
                    "payment_terms_days": cond.get("payment_terms_days", 30),
                    "end_of_month": cond.get("end_of_month", False),
                    "payment_method": cond.get("payment_method", "transfer"), "currency": cond.get("currency", "EUR"),
                    "line_mode": cond.get("line_mode", "detailed"),
                }
        upsert(BillingAddress, {(a.client_id, a.code): a for a in BillingAddress.objects.filter(client_id__in=ids)},
               wanted_addresses)
        replaced = {pk for pk, code in ((saved[c].pk, c) for c in self.clients) if "billing_conditions" in self.clients[code]}
        existing = {(b.client_id, b.applies_from): b for b in BillingConditions.objects.filter(client_id__in=replaced)}
        BillingConditions.objects.filter(pk__in=[b.pk for k, b in existing.items() if k not in wanted_conditions]).delete()
        upsert(BillingConditions, existing, wanted_conditions)
        return counts

    def _write_engagements(self, refs: References) -> dict[str, int]:
        wanted = {}
        for code, plan in self.engagements.items():
            row = plan["row"]
            client = row["client"]
            wanted[code] = {
                "code": code, "client_id": refs.clients[client], "label": row["label"],
                "engagement_class": row.get("class", ""), "fiscal_year": row.get("fiscal_year"),
                "manager_id": refs.collaborators.get(row.get("manager") or ""),
                "salesperson_id": refs.collaborators.get(row.get("salesperson") or ""),
                "currency": row.get("currency", "EUR"),
                "all_parts_on_one_invoice": row.get("all_parts_on_one_invoice", False),
                "billing_address_id": refs.addresses.get((client, row.get("billing_address") or "")),
                "status": row.get("status", "active"),
            }
        saved, counts = upsert(Engagement, {e.code: e for e in Engagement.objects.all()}, wanted)
        engagement_ids = [e.pk for e in saved.values()]
        wanted_parts = {}
        for code, plan in self.engagements.items():
            for part in plan["parts"]:
                key = (saved[code].pk, part["values"]["code"])
                wanted_parts[key] = {**part["values"], "engagement_id": key[0],
                                     "article_id": refs.articles.get(part["article"] or "")}
        parts, _ = upsert(EngagementPart, {(p.engagement_id, p.code): p for p in
                                           EngagementPart.objects.filter(engagement_id__in=engagement_ids)}, wanted_parts)
        self._write_rates(saved, parts, refs)
        self._write_overtime(saved, parts)
        self._write_installments(saved, parts)
        self._write_tasks(saved, parts)
        self._write_engagement_conditions(saved)
        return counts

    def _write_engagement_conditions(self, saved) -> None:
        """An engagement's dated conditions are replaced when the file gives them, left alone otherwise."""
        wanted, replaced = {}, []
        for code, plan in self.engagements.items():
            if plan["conditions"] is None:
                continue
            engagement_id = saved[code].pk
            replaced.append(engagement_id)
            for cond in plan["conditions"]:
                wanted[(engagement_id, cond["applies_from"])] = {**cond, "engagement_id": engagement_id}
        existing = {(c.engagement_id, c.applies_from): c
                    for c in EngagementConditions.objects.filter(engagement_id__in=replaced)}
        EngagementConditions.objects.filter(pk__in=[c.pk for k, c in existing.items() if k not in wanted]).delete()
        upsert(EngagementConditions, existing, wanted)

    def _write_rates(self, saved, parts, refs: References) -> None:
        part_ids = [p.pk for p in parts.values()]
        PartRate.objects.filter(part_id__in=part_ids).delete()
        PartRate.objects.bulk_create([
            PartRate(part_id=parts[(saved[code].pk, part["values"]["code"])].pk,
                     collaborator_id=refs.collaborators.get(rate["collaborator"]), grade=rate["grade"],
                     hourly_rate=rate["hourly_rate"], daily_rate=rate["daily_rate"])
            for code, plan in self.engagements.items() for part in plan["parts"] for rate in part["rates"]
        ], batch_size=500)

    def _write_overtime(self, saved, parts) -> None:
        """A part's overtime conditions are replaced when the file gives them, left alone otherwise."""
        given = {parts[(saved[code].pk, part["values"]["code"])].pk: part["overtime"]
                 for code, plan in self.engagements.items() for part in plan["parts"] if part["overtime"] is not None}
        OvertimeTerms.objects.filter(part_id__in=list(given)).delete()
        for part_id, overtime in given.items():
            terms = OvertimeTerms.objects.create(part_id=part_id, hourly_rate=overtime["hourly_rate"])
            SurchargeBand.objects.bulk_create(SurchargeBand(terms=terms, **band) for band in overtime["bands"])

    def _write_installments(self, saved, parts) -> None:
        wanted, replaced = {}, []
        for code, plan in self.engagements.items():
            for part in plan["parts"]:
                if part["installments"] is None:
                    continue
                part_id = parts[(saved[code].pk, part["values"]["code"])].pk
                replaced.append(part_id)
                for row in part["installments"]:
                    wanted[(part_id, row["due_date"])] = {**row, "part_id": part_id}
        existing = {(i.part_id, i.due_date): i for i in Installment.objects.filter(part_id__in=replaced)}
        gone = [i.pk for key, i in existing.items() if key not in wanted]
        billed = BillableItem.objects.filter(installment_id__in=[i.pk for i in existing.values()], status="billed")
        changed_billed = [
            item for item in billed.select_related("installment")
            if (item.installment.part_id, item.installment.due_date) not in wanted
            or wanted[(item.installment.part_id, item.installment.due_date)]["amount"] != item.installment.amount
        ]
        if changed_billed:
            raise ImportRejected("portfolio", [
                Problem(f"installment {item.installment}",
                        gettext_noop("already billed: it can be corrected by a credit note only"))
                for item in changed_billed
            ])
        BillableItem.objects.filter(installment_id__in=gone).delete()
        Installment.objects.filter(pk__in=gone).delete()
        upsert(Installment, existing, wanted)

    def _write_tasks(self, saved, parts) -> None:
        wanted, parents = {}, {}
        for code, plan in self.engagements.items():
            engagement_id = saved[code].pk
            for task in plan["row"].get("tasks", []):
                key = (engagement_id, task["code"])
                wanted[key] = {
                    "engagement_id": engagement_id, "code": task["code"], "label": task["label"],
                    "status": task.get("status", "active"),
                    "planned_hours": Decimal(str(task["planned_hours"])) if task.get("planned_hours") is not None else None,
                    "part_id": parts[(engagement_id, task["part"])].pk if task.get("part") else None,
                }
                parents[key] = (engagement_id, task["parent"]) if task.get("parent") else None
        existing = {(t.engagement_id, t.code): t for t in Task.objects.filter(engagement_id__in=[e.pk for e in saved.values()])}
        tasks, _ = upsert(Task, existing, wanted)
        upsert(Task, tasks, {key: {"parent_id": tasks[parent].pk if parent else None} for key, parent in parents.items()})

    def _write_rules(self, refs: References) -> dict[str, int]:
        wanted = {}
        for code, row in self.rules.items():
            wanted[code] = {
                "code": code, "article_id": refs.articles[row["article"]],
                "client_id": refs.clients.get(row.get("client") or ""),
                "engagement_id": refs.engagements.get(row.get("engagement") or ""),
                "activity": row.get("activity", ""), "domain": row.get("domain", ""),
                "collaborator_id": refs.collaborators.get(row.get("collaborator") or ""),
                "group_id": refs.groups.get(row.get("group") or ""),
            }
        _, counts = upsert(ArticleRule, {r.code: r for r in ArticleRule.objects.all()}, wanted)
        return counts


def export_portfolio() -> dict:
    """The whole portfolio in the interchange format; importing it elsewhere gives the same data."""
    org = Organisation.objects.first()
    data: dict = {"format": FORMAT, "version": VERSION}
    if org:
        data["organisation"] = {
            "legal_name": org.legal_name, "legal_form": org.legal_form, "siren": org.siren,
            "vat_number": org.vat_number,
            "address": {"line1": org.address_line1, "line2": org.address_line2, "postcode": org.postcode,
                        "city": org.city, "country": org.country},
            "iban": org.iban, "bic": org.bic, "hours_per_day": str(org.hours_per_day),
            "bill_only_approved_time": org.bill_only_approved_time, "time_rounding_minutes": org.time_rounding_minutes,
            "training_billing": org.training_billing, "share_capital": _text(org.share_capital),
            "rcs_city": org.rcs_city, "vat_on_debits": org.vat_on_debits,
            "payment_terms_agreement": org.payment_terms_agreement,
            "payment_terms_agreement_days": org.payment_terms_agreement_days,
            "invoice_series": [
                {"code": s.code, "kind": s.kind, "prefix": s.prefix, "digits": s.digits, "is_default": s.is_default}
                for s in org.series.order_by("code")
            ],
        }
    data["collaborator_groups"] = [{"code": g.code, "label": g.label} for g in CollaboratorGroup.objects.order_by("code")]
    data["collaborators"] = [
        {"code": c.code, "name": c.name, "grade": c.grade, "groups": sorted(g.code for g in c.groups.all()),
         "hourly_rate": _text(c.hourly_rate), "daily_rate": _text(c.daily_rate), "active": c.active}
        for c in Collaborator.objects.order_by("code").prefetch_related("groups")
    ]
    data["articles"] = [
        {"code": a.code, "sub_code": a.sub_code, "label": a.label, "unit": a.unit, "unit_price": _text(a.unit_price),
         "vat_rate": str(a.vat_rate), "revenue_account": a.revenue_account}
        for a in Article.objects.order_by("code", "sub_code")
    ]
    data["clients"] = [
        {"code": c.code, "name": c.name, "siren": c.siren, "siret": c.siret, "vat_number": c.vat_number,
         "email": c.email, "active": c.active, "training_billing": c.training_billing, "nature": c.nature,
         "addresses": [
             {"code": a.code, "line1": a.line1, "line2": a.line2, "postcode": a.postcode, "city": a.city,
              "country": a.country, "default": a.is_default}
             for a in sorted(c.addresses.all(), key=lambda a: a.code)
         ],
         "billing_conditions": [
             {"applies_from": b.applies_from.isoformat(), "vat_regime": b.vat_regime,
              "payment_terms_days": b.payment_terms_days, "end_of_month": b.end_of_month,
              "payment_method": b.payment_method, "currency": b.currency, "line_mode": b.line_mode}
             for b in sorted(c.billing_conditions.all(), key=lambda b: b.applies_from)
         ]}
        for c in Client.objects.order_by("code").prefetch_related("addresses", "billing_conditions")
    ]
    data["engagements"] = [_export_engagement(e) for e in Engagement.objects.order_by("code").select_related(
        "client", "manager", "salesperson", "billing_address").prefetch_related(
        "parts__article", "parts__rates__collaborator", "parts__overtime_terms__bands", "parts__installments",
        "tasks__parent", "tasks__part", "billing_conditions")]
    data["article_rules"] = [
        {"code": r.code, "article": article_ref(r.article.code, r.article.sub_code),
         "client": _code(r.client), "engagement": _code(r.engagement), "activity": r.activity, "domain": r.domain,
         "collaborator": _code(r.collaborator), "group": _code(r.group)}
        for r in ArticleRule.objects.order_by("code").select_related("article", "client", "engagement",
                                                                     "collaborator", "group")
    ]
    data["time_entries"] = [
        {"id": external_id, "date": day.isoformat(), "collaborator": collaborator, "engagement": engagement,
         "part": part, "task": task, "hours": str(hours), "billable": billable, "activity": activity,
         "domain": domain, "approved": approved, "comment": comment}
        for external_id, day, collaborator, engagement, part, task, hours, billable, activity, domain, approved, comment
        in _time_entry_values()
    ]
    data["unit_metrics"] = [
        {"client": client, "engagement": engagement, "metric": metric, "period": period.strftime("%Y-%m"),
         "quantity": str(quantity)}
        for client, engagement, metric, period, quantity in _metric_values()
    ]
    for section, model in (("customer_orders", CustomerOrder), ("delivery_notes", DeliveryNote)):
        data[section] = [
            {"client": d.client.code, "engagement": _code(d.engagement) or "", "number": d.number,
             "date": d.date.isoformat(),
             "lines": [{"article": article_ref(line.article.code, line.article.sub_code),
                        "designation": line.designation, "quantity": str(line.quantity),
                        "unit_price": str(line.unit_price)} for line in d.lines.all()]}
            for d in model.objects.order_by("client__code", "number").select_related("client", "engagement")
            .prefetch_related("lines__article")
        ]
    data.update(export_training())
    return data


def _time_entry_values():
    from prebill.activity.models import TimeEntry

    return TimeEntry.objects.order_by("external_id").values_list(
        "external_id", "date", "collaborator__code", "engagement__code", "part__code", "task__code", "hours",
        "billable", "activity", "domain", "approved", "comment",
    ).iterator(chunk_size=5000)


def _metric_values():
    from prebill.activity.models import UnitMetric

    return UnitMetric.objects.order_by("client__code", "engagement__code", "metric_code", "period").values_list(
        "client__code", "engagement__code", "metric_code", "period", "quantity"
    )


def _export_engagement(e: Engagement) -> dict:
    parts = []
    for p in sorted(e.parts.all(), key=lambda p: p.code):
        part = {
            "code": p.code, "label": p.label, "kind": p.kind,
            "article": article_ref(p.article.code, p.article.sub_code) if p.article else None,
            "on_own_invoice": p.on_own_invoice, "billing_unit": p.billing_unit, "unit_price": _text(p.unit_price),
            "metric_code": p.metric_code, "fee_amount": _text(p.fee_amount), "frequency": p.frequency,
            "installments": [
                {"due_date": i.due_date.isoformat(), "amount": str(i.amount), "quantity": _text(i.quantity),
                 "label": i.label, "period_start": _iso(i.period_start), "period_end": _iso(i.period_end)}
                for i in sorted(p.installments.all(), key=lambda i: i.due_date)
            ],
            "rates": [
                {**({"collaborator": r.collaborator.code} if r.collaborator else {"grade": r.grade}),
                 "hourly_rate": _text(r.hourly_rate), "daily_rate": _text(r.daily_rate)}
                for r in sorted(p.rates.all(), key=lambda r: (r.collaborator.code if r.collaborator else "", r.grade))
            ],
        }
        terms = getattr(p, "overtime_terms", None)
        if terms is not None:
            part["overtime"] = {"hourly_rate": _text(terms.hourly_rate), "bands": [
                {"day_kind": b.day_kind, "start": b.start.strftime("%H:%M"), "end": b.end.strftime("%H:%M"),
                 "percent": str(b.percent)} for b in terms.bands.all()]}
        parts.append(part)
    return {
        "code": e.code, "client": e.client.code, "label": e.label, "class": e.engagement_class,
        "fiscal_year": e.fiscal_year, "manager": _code(e.manager), "salesperson": _code(e.salesperson),
        "currency": e.currency, "all_parts_on_one_invoice": e.all_parts_on_one_invoice,
        "billing_address": e.billing_address.code if e.billing_address else None, "status": e.status,
        "parts": parts,
        "tasks": [
            {"code": t.code, "label": t.label, "parent": _code(t.parent), "part": _code(t.part), "status": t.status,
             "planned_hours": _text(t.planned_hours)}
            for t in sorted(e.tasks.all(), key=lambda t: t.code)
        ],
        "billing_conditions": [
            {"applies_from": b.applies_from.isoformat(), "vat_regime": b.vat_regime,
             "payment_terms_days": b.payment_terms_days, "end_of_month": b.end_of_month,
             "payment_method": b.payment_method, "line_mode": b.line_mode}
            for b in sorted(e.billing_conditions.all(), key=lambda b: b.applies_from)
        ],
    }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _code(obj) -> str | None:
    return obj.code if obj is not None else None
