"""Share capital, RCS city and the VAT-on-debits option: mandatory mentions of the firm's documents."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("organisation", "0007_auto_prepare")]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="share_capital",
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True,
                                      help_text='Printed with the legal form: "SAS au capital de 10 000 €".',
                                      verbose_name="share capital"),
        ),
        migrations.AddField(
            model_name="organisation",
            name="rcs_city",
            field=models.CharField(blank=True, max_length=100, verbose_name="RCS city",
                                   help_text="The city of the trade register (RCS) the firm is registered at."),
        ),
        migrations.AddField(
            model_name="organisation",
            name="vat_on_debits",
            field=models.BooleanField(default=False, verbose_name="VAT on debits", help_text=(
                "The firm opted to pay VAT on its services when invoiced rather than when paid: the invoices say "
                "\"Option pour le paiement de la taxe d'après les débits\".")),
        ),
    ]
