from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("organisation", "0009_payment_terms_agreement"),
    ]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="vat_return_regime",
            field=models.CharField(
                choices=[("normal", "normal (réel normal)"), ("simplified", "simplified (réel simplifié)"),
                         ("franchise", "VAT franchise (franchise en base)")],
                db_default="normal", default="normal",
                help_text="Gives the e-reporting frequency: every ten days, every month, or every two months.",
                max_length=12, verbose_name="VAT return regime"),
        ),
        migrations.AddField(
            model_name="organisation",
            name="e_reporting_from",
            field=models.DateField(
                blank=True, null=True, verbose_name="e-reporting from",
                help_text="The first day the firm reports its sales to consumers and abroad, and its payments, "
                          "through its platform (2026-09-01 for large and mid-size companies, 2027-09-01 for the "
                          "others); empty: not yet."),
        ),
    ]
