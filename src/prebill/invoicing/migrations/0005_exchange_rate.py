"""An invoice in a foreign currency keeps the exchange rate of its date (euros for one unit of its currency) and
its VAT in euros, frozen like the rest of it. Invoices of before (all in euros) keep them empty. The triggers are
created again over the new columns."""

from django.db import migrations, models

from prebill.invoicing.immutability import create_triggers, drop_triggers, recreate_triggers

NEW = ("exchange_rate", "total_vat_eur")


def triggers_without_the_new_columns(apps, schema_editor):
    """Going back: the columns can be dropped once no trigger names them."""
    drop_triggers(apps, schema_editor)
    create_triggers(apps, schema_editor, leave_out=NEW)


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0004_legal_and_einvoicing_snapshot")]

    operations = [
        migrations.AddField(model_name="invoice", name="exchange_rate",
                            field=models.DecimalField(blank=True, decimal_places=6, max_digits=12, null=True)),
        migrations.AddField(model_name="invoice", name="total_vat_eur",
                            field=models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True)),
        migrations.RunPython(recreate_triggers, triggers_without_the_new_columns),
    ]
