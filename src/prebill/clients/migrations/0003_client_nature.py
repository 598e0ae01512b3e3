"""The client's nature for the e-invoicing reform (the invoice's BAR note). Existing clients get it explicitly
from their default billing address: abroad a foreign company, in France a French company."""

from django.db import migrations, models


def from_country(apps, schema_editor):
    Client = apps.get_model("clients", "Client")
    BillingAddress = apps.get_model("clients", "BillingAddress")
    abroad = BillingAddress.objects.filter(is_default=True).exclude(country__iexact="FR").values("client_id")
    Client.objects.filter(pk__in=abroad).update(nature="foreign_company")
    Client.objects.filter(nature="").update(nature="french_company")


class Migration(migrations.Migration):
    dependencies = [("clients", "0002_client_training_billing")]

    operations = [
        migrations.AddField(
            model_name="client",
            name="nature",
            field=models.CharField(
                blank=True, db_default="", default="", max_length=20,
                choices=[("", "from its billing country"), ("french_company", "French company"),
                         ("foreign_company", "foreign company"), ("consumer", "consumer"),
                         ("out_of_scope", "out of scope")],
                help_text="French company (B2B), foreign company (B2BINT), consumer (B2C) or out of scope of the "
                          "e-invoicing reform; empty: from its billing country."),
        ),
        migrations.RunPython(from_country, migrations.RunPython.noop),
    ]
