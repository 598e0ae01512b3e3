"""The forms that create and change a client: they read what the clerk typed and show every problem next to
its field at once; the rules are the services' (prebill.clients.services)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from prebill.core.grouping import LineMode
from prebill.core.labels import LINE_MODE_LABELS, VAT_REGIME_LABELS
from prebill.core.vat import VatRegime

from . import services
from .models import Client, PaymentMethod


class ClientForm(forms.ModelForm):
    # Typed with spaces as they are printed (552 032 534): the spaces go before the checks.
    siren = forms.CharField(label="SIREN", max_length=11, required=False)
    siret = forms.CharField(label="SIRET", max_length=17, required=False)
    vat_number = forms.CharField(label=_("VAT number"), max_length=24, required=False)

    class Meta:
        model = Client
        fields = ["code", "name", "nature", "siren", "siret", "vat_number", "email", "active", "training_billing"]
        labels = {"code": _("Code"), "name": _("Name"), "nature": _("Nature (e-invoicing)"), "siren": "SIREN",
                  "siret": "SIRET", "vat_number": _("VAT number"), "email": _("Billing e-mail"),
                  "active": _("Active"), "training_billing": _("Invoicing of training sessions")}
        help_texts = {"nature": _("French company (B2B), foreign company, consumer or out of scope; empty: from "
                                  "the country of its default address."),
                      "training_billing": "", "email": _("Where its invoices are sent.")}

    def __init__(self, *args, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["training_billing"].choices = [
            ("", _("as the firm's default")), ("none", _("no automatic invoicing")),
            ("pair", _("one invoice per funder and sponsor")), ("consolidated", _("one invoice per funder"))]
        if editing:  # the code is the client's reference in files and invoices: it stays
            self.fields["code"].disabled = True

    def clean_siren(self) -> str:
        return self.cleaned_data["siren"].replace(" ", "")

    def clean_siret(self) -> str:
        return self.cleaned_data["siret"].replace(" ", "")

    def clean_vat_number(self) -> str:
        return self.cleaned_data["vat_number"].replace(" ", "").upper()

    def validate_unique(self) -> None:
        """The code's uniqueness is told by the services, in the user's language."""


class AddressForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=30, initial="main")
    line1 = forms.CharField(label=_("Address"), max_length=200)
    line2 = forms.CharField(label=_("Address (continued)"), max_length=200, required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=20)
    city = forms.CharField(label=_("City"), max_length=100)
    country = forms.RegexField(label=_("Country"), regex=r"^[A-Za-z]{2}$", initial="FR", max_length=2,
                               error_messages={"invalid": _("A country is its code of 2 letters (FR).")})
    is_default = forms.BooleanField(label=_("Default"), required=False)


AddressFormSet = forms.formset_factory(AddressForm, extra=1, can_delete=True)


class FirstConditionsForm(forms.Form):
    """The first row of a new client's dated billing conditions (empty: the default conditions apply)."""

    applies_from = forms.DateField(label=_("Applies from"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    payment_terms_days = forms.IntegerField(label=_("Payment terms (days)"), min_value=0,
                                            max_value=services.MAX_PAYMENT_DAYS, initial=30)
    end_of_month = forms.BooleanField(label=_("end of month"), required=False)
    vat_regime = forms.ChoiceField(label=_("VAT regime"), choices=[(r.value, _(VAT_REGIME_LABELS[r])) for r in VatRegime])
    payment_method = forms.ChoiceField(label=_("Payment method"), choices=PaymentMethod.choices)
    line_mode = forms.ChoiceField(label=_("Lines"), choices=[(m.value, _(LINE_MODE_LABELS[m])) for m in LineMode])
    currency = forms.RegexField(label=_("Currency"), regex=r"^[A-Za-z]{3}$", initial="EUR", max_length=3,
                                error_messages={"invalid": _("A currency is a code of three letters (EUR).")})

    def clean(self) -> dict:
        data = super().clean()
        days = data.get("payment_terms_days")
        if days is not None and (problem := services.payment_terms_problem(days, data.get("end_of_month", False))):
            self.add_error("payment_terms_days", problem)
        return data

    def conditions(self) -> dict | None:
        """The row to add, or None when no date is given."""
        data = self.cleaned_data
        if not data.get("applies_from"):
            return None
        return {**{name: data[name] for name in ("applies_from", "payment_terms_days", "end_of_month", "vat_regime",
                                                 "payment_method", "line_mode")},
                "currency": data["currency"].upper()}


class ClientEntry:
    """The client's form, its addresses and (for a new client) its first conditions, checked together so that
    every problem shows at once, each next to its field."""

    def __init__(self, data=None, *, client: Client | None = None) -> None:
        self.client = client
        initial_addresses = ([{name: getattr(a, name) for name in services.ADDRESS_FIELDS}
                              for a in client.addresses.order_by("-is_default", "code")] if client else None)
        self.form = ClientForm(data, instance=client, editing=client is not None)
        self.addresses = AddressFormSet(data, prefix="addresses", initial=initial_addresses)
        self.conditions = None if client else FirstConditionsForm(data, prefix="conditions")
        self.address_errors: list[str] = []

    def is_valid(self) -> bool:
        checked = [self.form.is_valid(), self.addresses.is_valid(),
                   self.conditions is None or self.conditions.is_valid()]
        data = self.form.cleaned_data  # what could be read, to tell the services' problems as well
        problems = services.client_problems(
            code=self.code, client=self.client, addresses=self.address_rows(),
            **{name: data.get(name) or "" for name in ("name", "nature", "siren", "siret", "vat_number")})
        self.add_problems(problems)
        return all(checked) and not problems

    @property
    def code(self) -> str:
        return self.client.code if self.client else getattr(self.form, "cleaned_data", {}).get("code", "")

    def address_rows(self) -> list[dict]:
        return [{name: form.cleaned_data[name] for name in services.ADDRESS_FIELDS}
                for form in self.addresses.forms
                if form.is_valid() and not (form.empty_permitted and not form.has_changed())
                and not form.cleaned_data.get("DELETE")]

    def add_problems(self, problems: dict[str, str]) -> None:
        for field, message in problems.items():
            if field in self.form.fields and field not in self.form.errors:
                self.form.add_error(field, message)
            elif field not in self.form.fields:
                self.address_errors.append(message)

    def values(self) -> dict:
        data = self.form.cleaned_data
        return {name: data[name] for name in ("code", *services.CLIENT_FIELDS) if name in data}
