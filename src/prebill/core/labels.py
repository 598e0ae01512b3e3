"""What the user reads for each coded value of the core (msgids kept as data, translated by each interface).

The stored values ("bill_now", "reverse_charge", "hour") are codes for files, the API and the database; the
pages, the documents and the command line show these labels, in the user's language.
"""

from __future__ import annotations

from .grouping import ItemKind, LineMode, TrainingOption
from .holidays import DayKind
from .refusals import gettext_noop
from .review import Decision
from .schedules import Frequency
from .valuation import BillingUnit
from .vat import VatRegime

DECISION_LABELS = {
    Decision.BILL_NOW: gettext_noop("bill now"),
    Decision.BILL_LATER: gettext_noop("bill later"),
    Decision.WRITE_OFF: gettext_noop("write off"),
    Decision.ON_HOLD: gettext_noop("on hold"),
    Decision.STANDALONE: gettext_noop("on a line of its own"),
    Decision.ACCRUED: gettext_noop("accrued (to invoice)"),
}
ITEM_KIND_LABELS = {
    ItemKind.FIXED_FEE: gettext_noop("fixed fee"),
    ItemKind.TIME: gettext_noop("time"),
    ItemKind.UNITS: gettext_noop("units"),
    ItemKind.RESALE: gettext_noop("resale"),
    ItemKind.EXPENSE: gettext_noop("expense"),
    ItemKind.PURCHASE: gettext_noop("purchase"),
    ItemKind.OVERTIME: gettext_noop("overtime"),
    ItemKind.TRAINING: gettext_noop("training"),
    ItemKind.DISBURSEMENT: gettext_noop("disbursement"),
    ItemKind.MANUAL: gettext_noop("entered by hand"),
}
LINE_MODE_LABELS = {
    LineMode.DETAILED: gettext_noop("one line per item"),
    LineMode.PER_ARTICLE: gettext_noop("one line per article"),
    LineMode.PER_ARTICLE_COLLABORATOR: gettext_noop("one line per article and collaborator"),
}
TRAINING_OPTION_LABELS = {
    TrainingOption.PAIR: gettext_noop("one invoice per funder and sponsor"),
    TrainingOption.CONSOLIDATED: gettext_noop("the funder's consolidated invoice"),
    TrainingOption.SPONSOR: gettext_noop("the sponsor's remainder"),
}
DAY_KIND_LABELS = {
    DayKind.WEEKDAY: gettext_noop("weekday"),
    DayKind.SATURDAY: gettext_noop("Saturday"),
    DayKind.SUNDAY: gettext_noop("Sunday"),
    DayKind.HOLIDAY: gettext_noop("public holiday"),
}
VAT_REGIME_LABELS = {
    VatRegime.STANDARD: gettext_noop("French VAT"),
    VatRegime.REVERSE_CHARGE: gettext_noop("reverse charge"),
    VatRegime.EXPORT: gettext_noop("export"),
    VatRegime.EXEMPT: gettext_noop("exempt"),
}
BILLING_UNIT_LABELS = {
    BillingUnit.HOUR: gettext_noop("hour"),
    BillingUnit.DAY: gettext_noop("day"),
}
FREQUENCY_LABELS = {
    Frequency.MONTHLY: gettext_noop("monthly"),
    Frequency.QUARTERLY: gettext_noop("quarterly"),
    Frequency.HALF_YEARLY: gettext_noop("half-yearly"),
    Frequency.YEARLY: gettext_noop("yearly"),
}

# (code, msgid) pairs for the pages' select boxes, in the enums' order (the template translates the msgid).
VAT_REGIME_CHOICES = [(regime.value, VAT_REGIME_LABELS[regime]) for regime in VatRegime]
LINE_MODE_CHOICES = [(mode.value, LINE_MODE_LABELS[mode]) for mode in LineMode]
BILLING_UNIT_CHOICES = [(unit.value, BILLING_UNIT_LABELS[unit]) for unit in BillingUnit]
