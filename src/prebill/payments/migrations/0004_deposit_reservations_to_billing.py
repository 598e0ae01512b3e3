"""Deposit reservations become prebill.billing's model (a draft that disappears gives its reservations back,
in billing): the state moves, the table stays (billing.0016 takes it over under the same name)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("payments", "0003_reservation_points_to_its_draft"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="DepositReservation")],
            database_operations=[],
        ),
    ]
