"""The firm settings page's forms: they parse and check the input; the services change the settings."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from prebill.core.legal import EXEMPTION_WORDING, REGIME_NAMES

from .models import Organisation


class PaymentTermsAgreementForm(forms.ModelForm):
    """The sector agreement: its reference and its days go together (Organisation.clean says so)."""

    class Meta:
        model = Organisation
        fields = ["payment_terms_agreement", "payment_terms_agreement_days"]


class LegalWordingForm(forms.Form):
    regime = forms.ChoiceField(label=_("VAT regime"),
                               choices=[(regime.value, _(REGIME_NAMES[regime])) for regime in EXEMPTION_WORDING])
    valid_from = forms.DateField(label=_("in force from"), widget=forms.DateInput(attrs={"type": "date"}))
    text = forms.CharField(label=_("wording"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3, "cols": 90}),
                           help_text=_("As printed on the invoices, with its CIBS article."))
