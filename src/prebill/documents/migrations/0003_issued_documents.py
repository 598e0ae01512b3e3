"""The bytes of each issued document, kept once; the triggers refuse their update and deletion."""

import django.db.models.deletion
from django.db import migrations, models

from prebill.invoicing.immutability import recreate_triggers


class Migration(migrations.Migration):
    dependencies = [("documents", "0002_invoice_templates"), ("invoicing", "0003_seller_snapshot")]

    operations = [
        migrations.CreateModel(
            name="IssuedDocument",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=[("pdf", "Factur-X PDF"), ("cii", "CII XML"), ("ubl", "UBL XML")],
                                          max_length=3)),
                ("content", models.BinaryField()),
                ("sha256", models.CharField(max_length=64)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("invoice", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                              related_name="issued_documents", to="invoicing.invoice")),
            ],
            options={"constraints": [models.UniqueConstraint(fields=("invoice", "kind"),
                                                             name="one_issued_document_per_kind")]},
        ),
        migrations.RunPython(recreate_triggers, recreate_triggers),
    ]
