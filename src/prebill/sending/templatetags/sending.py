"""The invoice page's e-mail part (prebill.invoicing's page): the form that sends it, and its send log."""

from django import template

from .. import services

register = template.Library()


@register.inclusion_tag("sending/_invoice_emails.html", takes_context=True)
def invoice_emails(context, invoice) -> dict:
    return {"request": context["request"], "csrf_token": context.get("csrf_token"), "roles": context.get("roles"),
            "invoice": invoice, "emails": services.emails_of(invoice), "billing_email": invoice.client.email}
