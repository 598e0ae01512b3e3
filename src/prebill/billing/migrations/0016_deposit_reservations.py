"""Deposit reservations, until now prebill.payments' model, are billing's: state only, on the same table
(payments_depositreservation)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0015_invoice_templates"),
        ("payments", "0004_deposit_reservations_to_billing"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="DepositReservation",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("amount", models.DecimalField(decimal_places=2, max_digits=14)),
                        ("reserved_at", models.DateTimeField(auto_now_add=True)),
                        ("payment", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                                      related_name="reservations", to="payments.payment")),
                        ("pre_invoice", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                                          related_name="reservations", to="billing.preinvoice")),
                        ("reserved_by", models.ForeignKey(blank=True, null=True,
                                                          on_delete=django.db.models.deletion.PROTECT,
                                                          to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "db_table": "payments_depositreservation",
                        "constraints": [models.CheckConstraint(condition=models.Q(("amount__gt", 0)),
                                                               name="reservation_positive")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
