"""Reading what clerks type: amounts as French write them (1 234,56), dates as a date field or 31/12/2026 sends them."""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation


def parse_amount(text: str | None) -> Decimal | None:
    """The decimal typed, with a comma or a point and spaces between thousands; None when it is not a number."""
    if not text:
        return None
    try:
        value = Decimal(text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def parse_date(text: str | None) -> date | None:
    """A date typed as YYYY-MM-DD (a date field) or DD/MM/YYYY; None when it is neither."""
    for layout in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime((text or "").strip(), layout).date()
        except ValueError:
            continue
    return None
