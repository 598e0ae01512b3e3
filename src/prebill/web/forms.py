"""Reading what clerks type: amounts as French write them (1 234,56)."""

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
