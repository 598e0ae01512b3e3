"""The seller's full identity on each invoice (legal form, IBAN, BIC, logo), filled from the organisation for the
invoices already issued; the triggers are created again over the new columns."""

from django.db import migrations, models

from prebill.invoicing.immutability import create_triggers, drop_triggers, recreate_triggers

NEW = ("seller_legal_form", "seller_iban", "seller_bic", "seller_logo", "seller_logo_type")
SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


def fill_from_organisation(apps, schema_editor):
    org = apps.get_model("organisation", "Organisation").objects.first()
    if org is None:
        return
    logo = bytes(org.logo) if org.logo else b""
    kind = next((content_type for magic, content_type in SIGNATURES if logo.startswith(magic)), "")
    apps.get_model("invoicing", "Invoice").objects.update(
        seller_legal_form=org.legal_form, seller_iban=org.iban, seller_bic=org.bic,
        seller_logo=logo if kind else b"", seller_logo_type=kind)


def triggers_without_the_new_columns(apps, schema_editor):
    """Going back: the columns can be dropped once no trigger names them."""
    drop_triggers(apps, schema_editor)
    create_triggers(apps, schema_editor, leave_out=NEW)


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0002_immutability"), ("organisation", "0001_initial")]

    operations = [
        migrations.AddField(model_name="invoice", name="seller_legal_form",
                            field=models.CharField(blank=True, default="", max_length=50)),
        migrations.AddField(model_name="invoice", name="seller_iban",
                            field=models.CharField(blank=True, default="", max_length=34)),
        migrations.AddField(model_name="invoice", name="seller_bic",
                            field=models.CharField(blank=True, default="", max_length=11)),
        migrations.AddField(model_name="invoice", name="seller_logo",
                            field=models.BinaryField(blank=True, default=b"",
                                                     help_text="The logo printed on its documents.")),
        migrations.AddField(model_name="invoice", name="seller_logo_type",
                            field=models.CharField(blank=True, default="", help_text="image/png or image/jpeg",
                                                   max_length=20)),
        migrations.RunPython(fill_from_organisation, migrations.RunPython.noop),
        migrations.RunPython(recreate_triggers, triggers_without_the_new_columns),
    ]
