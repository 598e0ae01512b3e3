"""The forms that create and change an engagement, its parts and their rates: they read what the clerk typed and
show every problem next to its field at once; the rules are the services' (prebill.engagements.services)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from prebill.clients.models import Client
from prebill.core.labels import BILLING_UNIT_LABELS
from prebill.core.schedules import Frequency
from prebill.core.valuation import BillingUnit
from prebill.team.models import Collaborator
from prebill.web.forms import parse_amount

from . import services
from .models import Engagement, EngagementPart


class EngagementForm(forms.ModelForm):
    class Meta:
        model = Engagement
        fields = ["code", "label", "engagement_class", "fiscal_year", "manager", "salesperson", "currency",
                  "all_parts_on_one_invoice", "billing_address", "status"]
        labels = {"code": _("Code"), "label": _("Label"), "engagement_class": _("Class"),
                  "fiscal_year": _("Fiscal year"), "manager": _("Manager"), "salesperson": _("Salesperson"),
                  "currency": _("Currency"), "all_parts_on_one_invoice": _("All parts on one invoice"),
                  "billing_address": _("Billing address"), "status": _("Status")}
        help_texts = {"engagement_class": "", "fiscal_year": ""}

    def __init__(self, *args, client: Client, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["billing_address"].queryset = client.addresses.order_by("code")
        self.fields["billing_address"].empty_label = _("the client's default")
        self.fields["status"].choices = [("active", _("active")), ("closed", _("closed"))]
        for name in ("manager", "salesperson"):
            self.fields[name].queryset = Collaborator.objects.filter(active=True).order_by("name")
        if editing:  # the code is the engagement's reference in files and invoices: it stays
            self.fields["code"].disabled = True

    def validate_unique(self) -> None:
        """The code's uniqueness is told by the services, in the user's language."""


class AmountField(forms.DecimalField):
    """An amount as French write it (1 234,56 or 1234.56)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "size": 10}))
        super().__init__(max_digits=kwargs.pop("max_digits", 12), decimal_places=2, required=False, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        amount = parse_amount(str(value))
        if amount is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return amount


def _articles():
    # The catalogue builds on engagements: its articles are reached through the part's relation.
    return EngagementPart._meta.get_field("article").related_model.objects.order_by("code", "sub_code")


class PartForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=30)
    label = forms.CharField(label=_("Label"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=[
        ("fixed_fee", _("fixed fee")), ("time_and_materials", _("time and materials")), ("units", _("units")),
        ("resale", _("resale"))])
    article = forms.ModelChoiceField(label=_("Article"), queryset=None, required=False)
    on_own_invoice = forms.BooleanField(label=_("On an invoice of its own"), required=False)
    billing_unit = forms.ChoiceField(label=_("Billed per"), choices=[(u.value, _(BILLING_UNIT_LABELS[u])) for u in BillingUnit],
                                     initial=BillingUnit.HOUR)
    fee_amount = AmountField(label=_("Fee"))
    frequency = forms.ChoiceField(label=_("Frequency"), required=False, choices=[
        ("", "—"), (Frequency.MONTHLY, _("monthly")), (Frequency.QUARTERLY, _("quarterly")),
        (Frequency.HALF_YEARLY, _("half-yearly")), (Frequency.YEARLY, _("yearly"))])
    schedule_start = forms.DateField(label=_("Schedule from"), required=False,
                                     widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    schedule_end = forms.DateField(label=_("to"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    unit_price = AmountField(label=_("Unit price"))
    metric_code = forms.CharField(label=_("Metric"), max_length=30, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["article"].queryset = _articles()

    def row(self) -> dict:
        return dict(self.cleaned_data)


PartFormSet = forms.formset_factory(PartForm, extra=1)


class RateForm(forms.Form):
    collaborator = forms.ModelChoiceField(label=_("Collaborator"), required=False,
                                          queryset=Collaborator.objects.order_by("name"))
    grade = forms.CharField(label=_("or grade"), max_length=50, required=False)
    hourly_rate = AmountField(label=_("Hourly rate"), max_digits=10)
    daily_rate = AmountField(label=_("Daily rate"), max_digits=10)

    def __init__(self, *args, part: EngagementPart, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.part = part

    def clean(self) -> dict:
        data = super().clean()
        problems = services.rate_problems(part=self.part, collaborator=data.get("collaborator"),
                                          grade=(data.get("grade") or "").strip(),
                                          hourly_rate=data.get("hourly_rate"), daily_rate=data.get("daily_rate"))
        for field, message in problems.items():
            if field not in self.errors:
                self.add_error(field, message)
        return data


class EngagementEntry:
    """The engagement's form and its parts', checked together so that every problem shows at once, each next
    to its field."""

    def __init__(self, data=None, *, client: Client, engagement: Engagement | None = None) -> None:
        self.client, self.engagement = client, engagement
        self.form = EngagementForm(data, instance=engagement, client=client, editing=engagement is not None)
        initial = None
        if engagement is not None:
            initial = [{name: getattr(p, name) for name in services.PART_FIELDS}
                       for p in engagement.parts.select_related("article").order_by("code")]
        self.parts = PartFormSet(data, prefix="parts", initial=initial)

    def is_valid(self) -> bool:
        checked = [self.form.is_valid(), self.parts.is_valid()]
        values = self.values()
        problems = services.engagement_problems(
            client=self.client, engagement=self.engagement, values=values, parts=self.part_rows())
        self.add_problems(problems)
        return all(checked) and not problems

    def values(self) -> dict:
        data = getattr(self.form, "cleaned_data", {})
        return {name: data[name] for name in ("code", *services.ENGAGEMENT_FIELDS) if name in data}

    def _filled(self) -> list[PartForm]:
        return [form for form in self.parts.forms
                if form.is_valid() and not (form.empty_permitted and not form.has_changed())]

    def part_rows(self) -> list[dict]:
        return [form.row() for form in self._filled()]

    def add_problems(self, problems: dict[str, str]) -> None:
        filled = self._filled()
        for key, message in problems.items():
            if key.startswith("parts."):
                _parts, index, field = key.split(".", 2)
                form = filled[int(index)]
                if field not in form.errors:
                    form.add_error(field, message)
            elif key not in self.form.errors:
                self.form.add_error(key if key in self.form.fields else None, message)
