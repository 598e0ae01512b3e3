"""The seller's share capital, RCS city and VAT-on-debits option, and the buyer's transaction category and
electronic address, frozen on each invoice. Invoices of before keep them empty: their documents were issued
without them and stay as issued. The triggers are created again over the new columns."""

from django.db import migrations, models

from prebill.invoicing.immutability import create_triggers, drop_triggers, recreate_triggers

NEW = ("seller_share_capital", "seller_rcs_city", "seller_vat_on_debits", "buyer_category", "buyer_endpoint_scheme",
       "buyer_endpoint")


def triggers_without_the_new_columns(apps, schema_editor):
    """Going back: the columns can be dropped once no trigger names them."""
    drop_triggers(apps, schema_editor)
    create_triggers(apps, schema_editor, leave_out=NEW)


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0003_seller_snapshot")]

    operations = [
        migrations.AddField(model_name="invoice", name="seller_share_capital",
                            field=models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True)),
        migrations.AddField(model_name="invoice", name="seller_rcs_city",
                            field=models.CharField(blank=True, default="", max_length=100)),
        migrations.AddField(model_name="invoice", name="seller_vat_on_debits",
                            field=models.BooleanField(default=False)),
        migrations.AddField(model_name="invoice", name="buyer_category",
                            field=models.CharField(blank=True, default="", max_length=12)),
        migrations.AddField(model_name="invoice", name="buyer_endpoint_scheme",
                            field=models.CharField(blank=True, default="", max_length=4)),
        migrations.AddField(model_name="invoice", name="buyer_endpoint",
                            field=models.CharField(blank=True, default="", max_length=125)),
        migrations.RunPython(recreate_triggers, triggers_without_the_new_columns),
    ]
