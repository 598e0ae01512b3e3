"""The warning other pages show (the pre-billing page) while the firm's wordings still cite only the CGI."""

from django import template
from django.utils import timezone

from prebill.accounts.roles import EDIT_FIRM_SETTINGS, has_role
from prebill.organisation.selectors import cgi_wording_warning

register = template.Library()


@register.inclusion_tag("organisation/_cgi_warning.html", takes_context=True)
def cgi_wording_warning_banner(context) -> dict:
    """From 1 October 2027, the regimes whose wording the firm must enter with its CIBS article (no query before)."""
    request = context.get("request")
    return {"warning": cgi_wording_warning(timezone.localdate()),
            "can_edit": bool(request) and has_role(request.user, EDIT_FIRM_SETTINGS)}
