"""The admin shows ledger tables but never writes them: no back door around the services."""


class ReadOnlyAdmin:
    """Mix into a ModelAdmin or an inline of a ledger table (items, drafts, invoices, entries, payments...).

    Its rows change only through prebill's services, which check the rules and write the audit
    trail; the admin still lists and shows them (view permission) but adds, changes and deletes
    nothing, and offers no action (no "delete selected").
    """

    actions = None

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        return {}

    def get_readonly_fields(self, request, obj=None):
        # Django turns a page without change permission into a view, not an inline: every field shown
        # is displayed, none is a form field (a non-editable one, say a timestamp, can be shown too).
        declared = list(super().get_readonly_fields(request, obj))
        shown = self.fields or [field.name for field in (*self.model._meta.fields, *self.model._meta.many_to_many)
                                if field.editable and not field.auto_created]
        return [*declared, *(name for name in shown if name not in declared)]
