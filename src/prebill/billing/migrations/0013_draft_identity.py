"""Drafts keep their identity: a document key without the billing terms, a version, a content digest;
removed drafts keep their reason; grouping hints become typed columns."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def keys_and_hints(apps, schema_editor):
    PreInvoice = apps.get_model("billing", "PreInvoice")
    seen = set()
    for pre in PreInvoice.objects.order_by("pk"):
        key = pre.grouping_key.rsplit("|", 1)[-1] if pre.source == "run" else pre.grouping_key
        if (pre.period, pre.client_id, key) in seen:
            key = f"{key}|{pre.pk}"
        seen.add((pre.period, pre.client_id, key))
        PreInvoice.objects.filter(pk=pre.pk).update(document_key=key[:300])
    BillableItem = apps.get_model("billing", "BillableItem")
    for item in BillableItem.objects.exclude(grouping_hint="").only("pk", "grouping_hint"):
        hint, _, exempt = item.grouping_hint.partition(";")
        values = {"vat_exempt": exempt == "exempt"}
        if hint == "collaborator":
            values["grouped_by_collaborator"] = True
        elif hint.startswith("installment:"):
            values["joins_installment_id"] = int(hint.split(":")[1])
        elif hint.startswith("pair:"):
            values["training_option"] = "pair"
        elif hint in ("sponsor", "consolidated"):
            values["training_option"] = hint
        BillableItem.objects.filter(pk=item.pk).update(**values)


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0012_billableitem_training_charge_and_more"),
        ("clients", "0002_client_training_billing"),
        ("engagements", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="billableitem", name="joins_installment",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="joined_costs", to="engagements.installment"),
        ),
        migrations.AddField(model_name="billableitem", name="grouped_by_collaborator",
                            field=models.BooleanField(db_default=False, default=False)),
        migrations.AddField(
            model_name="billableitem", name="training_option",
            field=models.CharField(blank=True, choices=[("pair", "pair"), ("consolidated", "consolidated"),
                                                        ("sponsor", "sponsor")],
                                   db_default="", default="", max_length=15),
        ),
        migrations.AddField(model_name="billableitem", name="vat_exempt",
                            field=models.BooleanField(db_default=False, default=False,
                                                      help_text="Exempt training: its own document.")),
        migrations.AddField(model_name="preinvoice", name="document_key",
                            field=models.CharField(default="", help_text="What it groups (not its terms).",
                                                   max_length=300), preserve_default=False),
        migrations.AddField(model_name="preinvoice", name="version",
                            field=models.PositiveIntegerField(db_default=1, default=1)),
        migrations.AddField(model_name="preinvoice", name="content_hash",
                            field=models.CharField(blank=True, db_default="", default="", max_length=64,
                                                   help_text="Digest of what it bills: terms, lines and their items.")),
        migrations.AddField(model_name="preinvoice", name="last_change",
                            field=models.CharField(blank=True, db_default="", default="", max_length=500,
                                                   help_text="What its last update changed, in the clerk's words.")),
        migrations.AddField(model_name="preinvoice", name="updated_at",
                            field=models.DateTimeField(default=django.utils.timezone.now)),
        migrations.AlterField(model_name="preinvoice", name="created_at",
                              field=models.DateTimeField(default=django.utils.timezone.now)),
        migrations.RunPython(keys_and_hints, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="preinvoice", name="one_pre_invoice_per_group"),
        migrations.AddConstraint(
            model_name="preinvoice",
            constraint=models.UniqueConstraint(fields=("period", "client", "document_key"),
                                               name="one_pre_invoice_per_document"),
        ),
        migrations.RemoveField(model_name="billableitem", name="grouping_hint"),
        migrations.RemoveField(model_name="preinvoice", name="replaced_reason"),
        migrations.CreateModel(
            name="RemovedDraft",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("pre_invoice_id", models.BigIntegerField(unique=True)),
                ("period", models.DateField()),
                ("document_key", models.CharField(max_length=300)),
                ("why", models.CharField(choices=[("validated", "validated into an invoice"),
                                                  ("moved", "its items moved to another draft"),
                                                  ("no_items", "no item is left to bill on it"),
                                                  ("deleted", "deleted")], max_length=10)),
                ("successor_id", models.BigIntegerField(blank=True, help_text="The draft that took its items.",
                                                        null=True)),
                ("invoice_number", models.CharField(blank=True, default="", max_length=35)),
                ("released_deposits", models.DecimalField(decimal_places=2, default=0, max_digits=14)),
                ("removed_at", models.DateTimeField()),
                ("client", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                             to="clients.client")),
            ],
        ),
    ]
