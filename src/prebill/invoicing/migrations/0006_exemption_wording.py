"""An invoice keeps the exemption, reverse-charge or export wording it was issued with (the firm's own wording may
come later, in force from a date before it: the invoice must not change). Invoices of before keep it empty: their
documents print the built-in wording of their date, as they did. The triggers are created again over the column."""

from django.db import migrations, models

from prebill.invoicing.immutability import create_triggers, drop_triggers, recreate_triggers

NEW = ("exemption_wording",)


def triggers_without_the_new_column(apps, schema_editor):
    """Going back: the column can be dropped once no trigger names it."""
    drop_triggers(apps, schema_editor)
    create_triggers(apps, schema_editor, leave_out=NEW)


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0005_exchange_rate")]

    operations = [
        migrations.AddField(model_name="invoice", name="exemption_wording",
                            field=models.CharField(blank=True, db_default="", default="", max_length=1000)),
        migrations.RunPython(recreate_triggers, triggers_without_the_new_column),
    ]
