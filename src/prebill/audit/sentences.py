"""The audit trail read as sentences: each action named, each change "field : before → after", in the user's language.

The events keep codes ("validated", "direct_debit", "2026-11-30", "88.80"), which the files and the API read as
they are; the pages say them with these labels, amounts and dates formatted for the reader.
"""

from __future__ import annotations

import re
from datetime import date

from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from prebill.core.labels import (
    BILLING_UNIT_LABELS,
    DECISION_LABELS,
    FREQUENCY_LABELS,
    ITEM_KIND_LABELS,
    LINE_MODE_LABELS,
    VAT_REGIME_LABELS,
)
from prebill.core.lifecycle import STATE_LABELS
from prebill.web.templatetags.prebill import money, quantity

from .models import AuditEvent

ACTIONS = {
    "validate": _("validated into an invoice"), "post": _("posted to the sales journal"),
    "credit": _("credit note issued"), "payment": _("payment recorded"), "allocate": _("payment allocated"),
    "remove_allocation": _("payment allocation removed"), "cancel_payment": _("payment cancelled"),
    "reserve_deposit": _("deposit reserved"), "release_deposit": _("deposit released"),
    "create_client": _("client created"), "change_client": _("client changed"),
    "create_engagement": _("engagement created"), "change_engagement": _("engagement changed"),
    "conditions": _("billing conditions added"), "part_rate": _("rate set"), "remove_part_rate": _("rate removed"),
    "automatic_pre_billing": _("month prepared by itself"), "duplicate": _("pre-invoice copied"),
    "delete_copy": _("copy deleted"), "change_copy_line": _("copy's line changed"),
    "remove_copy_line": _("copy's line removed"), "replace_designation": _("designation replaced"),
    "reorder_lines": _("lines reordered"), "join_fixed_fee": _("cost joined to a fixed-fee invoice"),
    "group_costs_by_collaborator": _("costs grouped on one invoice"), "declare_expense": _("expense declared"),
    "record_purchase": _("purchase recorded"), "declare_overtime": _("overtime declared"),
    "enter_units": _("units entered"), "sign_activity_report": _("activity report signed"),
    "generate_pro_forma": _("pro forma generated"), "process_pro_forma": _("pro forma processed"),
    "change_pro_forma_amount": _("pro forma amount changed"), "pro_forma_line_open": _("pro forma line to bill"),
    "pro_forma_line_transferred": _("pro forma line transferred"),
    "pro_forma_line_withdrawn": _("pro forma line withdrawn"),
    "start_review": _("review started"), "review_time": _("time reviewed"), "review_move": _("element moved"),
    "add_element": _("element added"), "allocate_order": _("allocated to an order line"),
    "confirm_review": _("review confirmed"), "cancel_review": _("review cancelled"),
    "postpone": _("postponed to a later month"), "write_off": _("written off"), "put_on_hold": _("put on hold"),
    "bill_again": _("put back to bill now"), "change_quantity": _("quantity billed changed"),
    "session_done": _("training session done"), "session_cancelled": _("training session cancelled"),
    "session_document": _("training document attached"), "session_added": _("training session added"),
    "session_invoiced_by_hand": _("training session invoiced by hand"),
    "einvoicing_status": _("e-invoicing status received"), "einvoicing_send_again": _("sent again to the platform"),
    "einvoicing_resolved": _("e-invoicing problem resolved"), "einvoicing_report_again": _("e-reported again"),
}
FIELDS = {
    "state": _("state"), "due": _("amount due"), "payment": _("payment"), "entry": _("journal entry"),
    "number": _("number"), "total_including_vat": _("total incl. VAT"), "total_excluding_vat": _("total excl. VAT"),
    "total": _("total"), "pre_invoice": _("pre-invoice"), "pre_invoices": _("pre-invoices"), "version": _("version"),
    "invoice": _("invoice"), "credit_note": _("credit note"), "items": _("items"), "rebill": _("billed again"),
    "amount": _("amount"), "reference": _("reference"), "lines": _("lines"), "line": _("line"), "until": _("until"),
    "proof": _("proof"), "disbursement": _("disbursement"), "scope": _("scope"), "start": _("from"),
    "end": _("to"), "engagement_from": _("engagements from"), "engagement_to": _("engagements to"),
    "engagement_class": _("engagement class"), "client_from": _("clients from"), "client_to": _("clients to"),
    "salesperson": _("salesperson"), "manager": _("manager"), "task": _("task"), "collaborator": _("collaborator"),
    "collaborator_group": _("collaborator group"), "task_statuses": _("task statuses"), "options": _("options"),
    "decision": _("decision"), "postponed_to": _("postponed to"), "reason": _("reason"), "reasons": _("reasons"),
    "status": _("status"), "label": _("label"), "quantity": _("quantity"), "unit": _("unit"),
    "unit_price": _("unit price"), "designation": _("designation"), "period": _("month"), "review": _("review"),
    "part": _("part"), "order": _("order"), "order_line": _("order line"), "signed": _("signed"), "left": _("left"),
    "hourly_rate": _("hourly rate"), "daily_rate": _("daily rate"), "grade": _("grade"), "vat_regime": _("VAT regime"),
    "payment_method": _("payment method"), "payment_terms_days": _("payment terms (days)"),
    "end_of_month": _("end of month"), "line_mode": _("lines"), "applies_from": _("applies from"),
    "allocation": _("allocation"), "allocations": _("allocations"), "attachment": _("attachment"), "by": _("by"),
    "cancelled": _("cancelled"), "charges": _("charges"), "client": _("client"), "copied_from": _("copied from"),
    "copy": _("copy"), "date": _("date"), "drafted": _("drafts"), "error": _("error"), "grouping": _("grouping"),
    "kind": _("kind"), "on": _("on"), "receipt": _("receipt"), "rejected": _("rejected"),
    "remaining_amount": _("amount left"), "remaining_quantity": _("quantity left"), "scheduled_at": _("planned at"),
    "session": _("training session"), "sponsor": _("sponsor"), "started_at": _("started at"),
    "code": _("code"), "name": _("name"), "nature": _("nature"), "siren": "SIREN", "siret": "SIRET",
    "vat_number": _("VAT number"), "email": _("e-mail"), "active": _("active"), "training_billing": _("training"),
    "addresses": _("addresses"), "fiscal_year": _("fiscal year"), "currency": _("currency"),
    "all_parts_on_one_invoice": _("all parts on one invoice"), "billing_address": _("billing address"),
    "parts": _("parts"), "billing_unit": _("billing unit"), "frequency": _("frequency"),
}
# What an event is about, by its model's label.
OBJECTS = {
    "invoicing.invoice": _("invoice"), "payments.payment": _("payment"), "payments.allocation": _("allocation"),
    "billing.preinvoice": _("pre-invoice"), "billing.preinvoiceline": _("pre-invoice line"),
    "billing.billableitem": _("billable item"), "billing.billingrun": _("month's run"),
    "billing.depositreservation": _("deposit reservation"), "clients.client": _("client"),
    "clients.billingconditions": _("client's billing conditions"), "engagements.engagement": _("engagement"),
    "engagements.engagementconditions": _("engagement's billing conditions"),
    "engagements.engagementpart": _("engagement part"), "engagements.partrate": _("rate"),
    "engagements.installment": _("installment"), "activity.timeentry": _("time entry"),
    "activity.unitmetric": _("units"), "activity.manualelement": _("element entered by hand"),
    "review.reviewsession": _("review"), "proforma.proforma": _("pro forma"),
    "proforma.proformaline": _("pro forma line"), "orders.customerorder": _("order"),
    "orders.orderline": _("order line"), "orders.orderallocation": _("order allocation"),
    "orders.deliverynote": _("delivery note"), "costs.expense": _("expense"), "costs.purchase": _("purchase"),
    "costs.overtime": _("overtime"), "costs.activityreport": _("activity report"),
    "einvoicing.transmission": _("transmission"), "einvoicing.paymentreport": _("payment report"),
    "einvoicing.report": _("e-reporting"), "sending.invoiceemail": _("e-mail"),
    "training.trainingsession": _("training session"), "training.funding": _("funding"),
    "training.sessiondocument": _("training document"),
}
MONEY = {"due", "total_including_vat", "total_excluding_vat", "total", "amount", "unit_price", "hourly_rate",
         "daily_rate", "remaining_amount", "left"}
QUANTITIES = {"quantity", "remaining_quantity", "items"}
# Coded values, by the field they are the value of.
VALUES = {
    "state": {**STATE_LABELS, "open": _("open"), "confirmed": _("confirmed"), "cancelled": _("cancelled"),
              "processed": _("processed")},
    "decision": DECISION_LABELS, "vat_regime": VAT_REGIME_LABELS, "line_mode": LINE_MODE_LABELS,
    "kind": {**ITEM_KIND_LABELS, "time_and_materials": _("time and materials")}, "billing_unit": BILLING_UNIT_LABELS,
    "unit": BILLING_UNIT_LABELS, "frequency": FREQUENCY_LABELS,
    "payment_method": {"transfer": _("bank transfer"), "direct_debit": _("direct debit"), "cheque": _("cheque"),
                       "card": _("card"), "cash": _("cash")},
    "status": {"open": _("to bill"), "transferred": _("transferred"), "withdrawn": _("withdrawn"),
               "active": _("active"), "closed": _("closed")},
    "nature": {"french_company": _("French company"), "foreign_company": _("foreign company"),
               "consumer": _("consumer"), "out_of_scope": _("out of scope")},
    "task_statuses": {"preparing": _("being prepared"), "active": _("active"), "done": _("done"),
                      "rejected": _("rejected")},
    "training_billing": {"none": _("no automatic invoicing"), "pair": _("one invoice per funder and sponsor"),
                         "consolidated": _("one invoice per funder")},
}
# Reasons the application writes itself, in English: marked here for the catalogue, translated when shown
# (value_label); what a user typed has no msgid and stays as it was.
SYSTEM_REASONS = (_("the pre-invoice owes less"), _("the pre-invoice no longer exists"))
# Snapshots of a whole record: a creation says so, a change names only what changed.
SNAPSHOTS = {"create_client", "create_engagement"}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def action_label(action: str) -> str:
    """The action as the user reads it (an unknown one stays its code: the French-labels test finds it)."""
    return str(ACTIONS.get(action, action))


def value_label(field: str, value) -> str:
    """One value of the trail in the reader's language: a label for a code, an amount, a date, yes or no."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, dict):
        shown = {key: inner for key, inner in value.items() if inner not in (None, "", [], {})}
        if field == "items":  # item id -> quantity
            return ", ".join(f"n° {key} × {value_label('quantity', inner)}" for key, inner in shown.items())
        return ", ".join(said(key, inner) for key, inner in shown.items())
    if isinstance(value, list | tuple):
        return ", ".join(value_label(field, inner) for inner in value) or "—"
    text = str(value)
    if field in VALUES and text in VALUES[field]:
        return gettext(str(VALUES[field][text]))
    if field in MONEY and NUMBER.match(text):
        return money(text)
    if field in QUANTITIES and NUMBER.match(text):
        return quantity(text)
    if ISO_DATE.match(text):
        try:
            return formats.date_format(date.fromisoformat(text), "SHORT_DATE_FORMAT")
        except ValueError:
            return text
    if field in ("reason", "reasons"):
        return gettext(text)
    return text


def object_label(event: AuditEvent) -> str:
    """"facture 12": what the event is about (an unknown kind stays its code: the French-labels test finds it)."""
    return f"{OBJECTS.get(event.object_type, event.object_type)} {event.object_id}"


def field_label(field: str) -> str:
    return str(FIELDS.get(field, field))


def said(field: str, value) -> str:
    """"state: posted" (in French "état : comptabilisée")."""
    return gettext("%(field)s: %(value)s") % {"field": field_label(field), "value": value_label(field, value)}


def changes(event: AuditEvent) -> list[str]:
    """What the event changed, one "field: before → after" each; what it only names, "field: value"."""
    before, after = event.before or {}, event.after or {}
    if event.action in SNAPSHOTS:
        return [said(key, after[key]) for key in ("code", "name", "label") if key in after]
    lines = []
    for key in [*before, *(key for key in after if key not in before)]:
        if key in before and key in after:
            if before[key] != after[key]:
                lines.append(gettext("%(field)s: %(before)s → %(after)s") % {
                    "field": field_label(key), "before": value_label(key, before[key]),
                    "after": value_label(key, after[key])})
        else:
            lines.append(said(key, after[key] if key in after else before[key]))
    return lines


def sentence(event: AuditEvent) -> str:
    """The whole event as one sentence: "Payment allocated: state: posted → partly paid; amount due: …"."""
    changed = changes(event)
    return f"{action_label(event.action)} — {' ; '.join(changed)}" if changed else action_label(event.action)
