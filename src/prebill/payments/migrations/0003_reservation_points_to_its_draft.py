"""A deposit reservation points to its draft (drafts keep their identity now)."""

import django.db.models.deletion
from django.db import migrations, models


def point_to_drafts(apps, schema_editor):
    DepositReservation = apps.get_model("payments", "DepositReservation")
    PreInvoice = apps.get_model("billing", "PreInvoice")
    for reservation in DepositReservation.objects.select_related("payment"):
        pre = PreInvoice.objects.filter(client_id=reservation.payment.client_id, period=reservation.period,
                                        grouping_key=reservation.grouping_key).first()
        if pre is None:
            reservation.delete()  # its draft was gone already: the amount is back on the deposit
        else:
            DepositReservation.objects.filter(pk=reservation.pk).update(pre_invoice=pre)


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0013_draft_identity"),
        ("payments", "0002_deposit_reservations"),
    ]

    operations = [
        migrations.AddField(
            model_name="depositreservation", name="pre_invoice",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="reservations", to="billing.preinvoice"),
        ),
        migrations.RunPython(point_to_drafts, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="depositreservation", name="pre_invoice",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="reservations",
                                    to="billing.preinvoice"),
        ),
        migrations.RemoveIndex(model_name="depositreservation", name="reservation_draft_key"),
        migrations.RemoveField(model_name="depositreservation", name="period"),
        migrations.RemoveField(model_name="depositreservation", name="grouping_key"),
    ]
