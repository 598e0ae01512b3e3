"""The invoices list's filters, and the selection its bulk actions take (prebill.documents, prebill.accounting and
prebill.sending read it from the form the list posts)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from django.db.models import DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from prebill.core.lifecycle import STATE_LABELS
from prebill.core.periods import Period, PeriodError
from prebill.core.refusals import Refusal, gettext_noop
from prebill.web.forms import parse_date

from .models import Invoice

# The state the list shows and filters on: the life cycle's (core.lifecycle), and two it reads from elsewhere.
CREDITED = "credited"  # credit notes cancel all of it
TRANSMITTED = "transmitted"  # the platform has it (prebill.einvoicing's row, by its relation's name)
SHOWN_STATES = {**{state.value: label for state, label in STATE_LABELS.items()},
                CREDITED: gettext_noop("credited"), TRANSMITTED: gettext_noop("transmitted")}
SENT_TO_PLATFORM = ("sent", "accepted")


class SelectionRefused(Refusal, ValueError):
    """The bulk action's selection is empty, or no longer what the page showed."""


def _month(text: str) -> Period | None:
    """A YYYY-MM filter; anything else filters nothing."""
    try:
        return Period.parse(text) if text else None
    except PeriodError:
        return None


@dataclass(frozen=True)
class InvoiceFilters:
    """What the clerk narrows the invoices list to (the dashboard links to some: a month, a billing month)."""

    search: str = ""
    state: str = ""
    transmission: str = ""
    status: str = ""
    issued_from: date | None = None
    issued_to: date | None = None
    month: Period | None = None
    period: Period | None = None

    @classmethod
    def from_query(cls, query) -> InvoiceFilters:
        """The filters of the list's query string, or of a bulk form that carries them along."""
        state = query.get("state", "")
        return cls(search=query.get("q", "").strip(), state=state if state in SHOWN_STATES else "",
                   transmission=query.get("transmission", ""), status=query.get("status", ""),
                   issued_from=parse_date(query.get("from")), issued_to=parse_date(query.get("to")),
                   month=_month(query.get("month", "")), period=_month(query.get("period", "")))

    def as_query(self) -> dict[str, str]:
        """The filters as the list's query parameters (empty ones left out), for the forms that carry them."""
        values = {"q": self.search, "state": self.state, "transmission": self.transmission, "status": self.status,
                  "from": self.issued_from.isoformat() if self.issued_from else "",
                  "to": self.issued_to.isoformat() if self.issued_to else "",
                  "month": str(self.month or ""), "period": str(self.period or "")}
        return {name: value for name, value in values.items() if value}

    def __bool__(self) -> bool:
        return any(value not in ("", None) for value in asdict(self).values())

    def apply(self, invoices: QuerySet) -> QuerySet:
        """Keep the invoices the filters keep (of invoices_listed's, which know what their credit notes cancel)."""
        if self.search:
            invoices = invoices.filter(Q(number__icontains=self.search) | Q(buyer_code__icontains=self.search)
                                       | Q(buyer_name__icontains=self.search))
        if self.transmission:
            invoices = invoices.filter(transmission__state=self.transmission)
        if self.status.isdigit():
            invoices = invoices.filter(transmission__status=int(self.status))
        if self.issued_from:
            invoices = invoices.filter(issue_date__gte=self.issued_from)
        if self.issued_to:
            invoices = invoices.filter(issue_date__lte=self.issued_to)
        if self.month:
            invoices = invoices.filter(issue_date__range=(self.month.first_day, self.month.last_day))
        if self.period:
            invoices = invoices.filter(kind=Invoice.Kind.INVOICE, period=self.period.first_day)
        fully_credited = Q(kind=Invoice.Kind.INVOICE, credited__gt=0, credited__gte=F("total_including_vat"))
        if self.state == CREDITED:
            invoices = invoices.filter(fully_credited)
        elif self.state == TRANSMITTED:
            invoices = invoices.filter(transmission__state__in=SENT_TO_PLATFORM)
        elif self.state:
            invoices = invoices.filter(state=self.state).exclude(fully_credited)
        return invoices


def invoices_listed(filters: InvoiceFilters) -> QuerySet:
    """The invoices and credit notes the filters keep, newest first, each with what its credit notes cancel."""
    credited = (Invoice.objects.filter(credited_invoice=OuterRef("pk")).values("credited_invoice")
                .annotate(total=Sum("total_including_vat")).values("total"))
    money = DecimalField(max_digits=14, decimal_places=2)
    invoices = Invoice.objects.annotate(credited=Coalesce(Subquery(credited, output_field=money), Value(0),
                                                          output_field=money))
    return filters.apply(invoices).order_by("-issue_date", "-number")


def shown_state(invoice: Invoice) -> str:
    """The state the list shows: credited when credit notes cancel all of it, else its life cycle's."""
    credited = getattr(invoice, "credited", 0)
    if invoice.kind == Invoice.Kind.INVOICE and credited and credited >= invoice.total_including_vat:
        return CREDITED
    return invoice.state


def selected_invoices(form) -> list[int]:
    """The invoices a bulk form of the list names: those ticked (`number`), or all that its filters show
    (scope=filters, checked against the count the page showed, expected_count)."""
    if form.get("scope") == "filters":
        ids = list(invoices_listed(InvoiceFilters.from_query(form)).values_list("pk", flat=True))
        if str(len(ids)) != form.get("expected_count"):
            raise SelectionRefused(gettext_noop("The invoices the filters show changed since the page was shown "
                                                "(%(now)s instead of %(then)s): look at them again."),
                                   now=len(ids), then=form.get("expected_count"))
    else:
        numbers = [number for number in form.getlist("number") if number]
        found = dict(Invoice.objects.filter(number__in=numbers).values_list("number", "pk"))
        ids = [found[number] for number in numbers if number in found]
    if not ids:
        raise SelectionRefused(gettext_noop("Tick the invoices, or choose all that the filters show."))
    return ids

