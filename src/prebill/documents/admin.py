from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import ModelForm

from prebill.billing.models import InvoiceTemplate, TemplateLine  # billing's models, managed with the documents
from prebill.core.designations import ELEMENTS, check_elements


class TemplateLineForm(ModelForm):
    class Meta:
        model = TemplateLine
        fields = ("kind", "elements", "prefix")

    def clean(self):
        data = super().clean()
        kind, elements = data.get("kind"), data.get("elements") or []
        if kind not in ELEMENTS:
            raise ValidationError(f"kinds with a wording: {', '.join(ELEMENTS)}")
        if not isinstance(elements, list) or (unknown := check_elements(kind, elements)):
            raise ValidationError(f"unknown elements {unknown if isinstance(elements, list) else elements}; "
                                  f"a {kind} line knows {', '.join(ELEMENTS[kind])}")
        return data


class TemplateLineInline(admin.TabularInline):
    model = TemplateLine
    form = TemplateLineForm
    extra = 1


@admin.register(InvoiceTemplate)
class InvoiceTemplateAdmin(admin.ModelAdmin):
    """Invoice templates: how each kind of line is worded, which proofs follow, for whom."""

    list_display = ("code", "label", "is_default", "attach_activity_reports", "attach_receipts")
    filter_horizontal = ("clients", "engagements")
    inlines = [TemplateLineInline]
