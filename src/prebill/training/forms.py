"""Entry forms of the training pages.

They only read what is typed (numbers the French way, client codes, dates) and leave every rule about
what may be saved to the services, which answer with EntryRefused; so no field is required here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseFormSet, formset_factory
from django.utils.translation import gettext_lazy as _

from prebill.catalogue.models import Article
from prebill.clients.models import Client
from prebill.team.models import Collaborator
from prebill.web.forms import parse_amount

from .models import SessionDocument, TrainingProduct

BASIS_CHOICES = [(TrainingProduct.Basis.PER_LEARNER, _("per learner")), (TrainingProduct.Basis.PER_GROUP, _("per group"))]


class AmountField(forms.Field):
    """A decimal typed with a comma or a point, spaces between thousands allowed (1 234,56)."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "size": 8}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Decimal | None:
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, Decimal):
            return value
        amount = parse_amount(str(value).strip())
        if amount is None:
            raise ValidationError(_("Enter a number."), code="invalid")
        return amount


class ClientCodeField(forms.ModelChoiceField):
    """A client typed by its code (firms have too many clients for a drop-down list)."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"size": 9, "placeholder": _("client code")}))
        super().__init__(queryset=Client.objects.all(), to_field_name="code",
                         error_messages={"invalid_choice": _("No client has this code.")}, **kwargs)

    def to_python(self, value: Any) -> Client | None:
        return super().to_python(value.strip() if isinstance(value, str) else value)


class ProductChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: TrainingProduct) -> str:
        return f"{obj.reference} — {obj.label}"


class ArticleChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Article) -> str:
        return f"{obj} — {obj.label}"


class CollaboratorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Collaborator) -> str:
        return f"{obj.code} · {obj.name}"


def _date_field(label: str) -> forms.DateField:
    # An HTML date input sends and expects ISO dates whatever the language.
    return forms.DateField(label=label, required=False,
                           widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class ProductForm(forms.Form):
    reference = forms.CharField(label=_("Reference"), max_length=30, required=False)
    label = forms.CharField(label=_("Label"), max_length=200, required=False,
                            widget=forms.TextInput(attrs={"size": 40}))
    hours = AmountField(label=_("Hours"))
    days = AmountField(label=_("Days"))
    price = AmountField(label=_("Price excl. VAT"))
    basis = forms.ChoiceField(label=_("Priced"), choices=BASIS_CHOICES, required=False)
    article = ArticleChoiceField(label=_("Article"), queryset=Article.objects.order_by("code", "sub_code"),
                                 required=False)
    vat_exempt = forms.BooleanField(label=_("Exempt from VAT (continuing vocational training)"), required=False,
                                    initial=True)


class SessionForm(forms.Form):
    reference = forms.CharField(label=_("Reference"), max_length=30, required=False)
    product = ProductChoiceField(label=_("Product"), queryset=TrainingProduct.objects.order_by("reference"),
                                 required=False)
    start = _date_field(_("Start"))
    end = _date_field(_("End"))
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    trainer = CollaboratorChoiceField(label=_("Trainer"), queryset=Collaborator.objects.order_by("code"),
                                      required=False)
    discount_percent = AmountField(label=_("Discount %"))


class LearnerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    sponsor = ClientCodeField(label=_("Sponsor"))


class FundingForm(forms.Form):
    funder = ClientCodeField(label=_("Funder"))
    sponsor = ClientCodeField(label=_("For the sponsor"))
    amount = AmountField(label=_("Amount"))
    per_learner = forms.BooleanField(label=_("per learner"), required=False)
    percent = AmountField(label=_("or percentage"))
    # Any length is read: the service says when one is too long, next to the field.
    file_number = forms.CharField(label=_("Funder's file number"), required=False,
                                  widget=forms.TextInput(attrs={"size": 12}))
    agreement_reference = forms.CharField(label=_("Training agreement"), required=False,
                                          widget=forms.TextInput(attrs={"size": 12}))


class DocumentForm(forms.Form):
    """A certificate of completion or attendance sheets to keep for a sponsor's learners in a session."""

    kind = forms.ChoiceField(label=_("Document"), choices=SessionDocument.Kind.choices)
    sponsor = ClientCodeField(label=_("For the sponsor"))
    file = forms.FileField(label=_("File (PDF, PNG or JPEG)"), required=False)


def learner_formset(data: Any = None, *, initial: list[dict] | None = None, extra: int = 1) -> BaseFormSet:
    return formset_factory(LearnerForm, extra=extra, can_delete=True)(data, initial=initial, prefix="learners")


def funding_formset(data: Any = None, *, initial: list[dict] | None = None, extra: int = 1) -> BaseFormSet:
    return formset_factory(FundingForm, extra=extra, can_delete=True)(data, initial=initial, prefix="fundings")


def entered_rows(formset: BaseFormSet) -> list[tuple[int, dict]]:
    """The rows to save with their position on the page: blank rows and rows ticked for removal are left out."""
    rows = []
    for n, form in enumerate(formset.forms):
        data = getattr(form, "cleaned_data", {})
        if data.get("DELETE") or all(value is False or value in (None, "") for name, value in data.items()
                                     if name != "DELETE"):
            continue
        rows.append((n, data))
    return rows
