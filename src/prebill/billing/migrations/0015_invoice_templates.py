"""The invoice templates, until now prebill.documents' models, are billing's: state only, on the same tables
(documents_invoicetemplate, its two many-to-many tables and documents_templateline)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0014_remove_preinvoice_grouping_key"),
        ("clients", "0002_client_training_billing"),
        ("documents", "0004_invoice_templates_to_billing"),
        ("engagements", "0002_engagementconditions"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="InvoiceTemplate",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("code", models.CharField(max_length=30, unique=True)),
                        ("label", models.CharField(max_length=200)),
                        ("is_default", models.BooleanField(default=False,
                                                           help_text="The organisation's default template.")),
                        ("attach_activity_reports", models.BooleanField(
                            default=False, help_text="Signed activity reports after T&M lines.")),
                        ("attach_receipts", models.BooleanField(default=True,
                                                                help_text="Expense receipts and purchase proofs.")),
                        ("clients", models.ManyToManyField(blank=True, related_name="invoice_templates",
                                                           to="clients.client")),
                        ("engagements", models.ManyToManyField(blank=True, related_name="invoice_templates",
                                                               to="engagements.engagement")),
                    ],
                    options={"db_table": "documents_invoicetemplate"},
                ),
                migrations.CreateModel(
                    name="TemplateLine",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("kind", models.CharField(max_length=20)),
                        ("elements", models.JSONField(help_text='e.g. ["collaborator", "date", "quantity", "task"]')),
                        ("prefix", models.CharField(blank=True, max_length=100)),
                        ("template", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                       related_name="lines", to="billing.invoicetemplate")),
                    ],
                    options={
                        "db_table": "documents_templateline",
                        "constraints": [models.UniqueConstraint(fields=("template", "kind"),
                                                                name="one_wording_per_kind")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
