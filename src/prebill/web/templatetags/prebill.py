"""Formatting for the firm's eyes: amounts like 1 234,56 €, dates like 30/11/2026."""

from decimal import Decimal

from django import template
from django.utils import formats
from django.utils.safestring import mark_safe
from django.utils.translation import ngettext

from prebill.accounts.roles import has_role

register = template.Library()
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template (None when absent)."""
    return mapping.get(key) if mapping else None


UNIT_LABELS = {"hour": "h", "day": "j", "unit": "u."}
# Units written as words agree with the quantity: "1 apprenant", "2 apprenants".
COUNTED_UNITS = {"apprenant": ("learner", "learners"), "groupe": ("group", "groups")}


@register.filter
def with_id(url_of_zero: str, pk) -> str:
    """A URL reversed once for id 0 (`{% url 'name' 0 as url %}`), for the id `pk`: a page of a thousand rows
    reverses each of its URLs once, not once a row."""
    head, found, tail = str(url_of_zero).rpartition("/0/")
    if not found:
        raise ValueError(f"{url_of_zero!r} has no /0/ to put an id in")
    return f"{head}/{pk}/{tail}"


@register.filter
def unit_label(unit: str, quantity=None) -> str:
    """Billing units as French documents print them (in the plural after a quantity above 1)."""
    if unit in COUNTED_UNITS and quantity is not None:
        singular, plural = COUNTED_UNITS[unit]
        return ngettext(singular, plural, 2 if Decimal(quantity) > 1 else 1)
    return UNIT_LABELS.get(unit, unit)


CSS_ESCAPES = {"\\": "\\5c ", '"': "\\22 ", "<": "\\3c ", ">": "\\3e ", "\n": "\\a "}


@register.filter
def css_string(value) -> str:
    """Text inside a quoted CSS string (a page footer): CSS escapes, not HTML entities ("&amp;" would print)."""
    return mark_safe("".join(CSS_ESCAPES.get(char, char) for char in str(value)))


@register.filter
def money(value, currency: str = "EUR") -> str:
    if value in (None, ""):
        return ""
    number = formats.number_format(Decimal(value), 2, use_l10n=True, force_grouping=True)
    return f"{number}\u00a0{SYMBOLS.get(currency, currency)}"


@register.filter
def quantity(value) -> str:
    if value in (None, ""):
        return ""
    value = Decimal(value).normalize()
    places = max(0, -value.as_tuple().exponent)
    return formats.number_format(value, places, use_l10n=True, force_grouping=True)


@register.simple_tag(takes_context=True)
def can(context, roles) -> bool:
    return has_role(context["request"].user, roles)


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters changed (for sort links and pages)."""
    params = context["request"].GET.copy()
    for name, value in changes.items():
        if value in (None, ""):
            params.pop(name, None)
        else:
            params[name] = value
    return "?" + params.urlencode() if params else "?"
