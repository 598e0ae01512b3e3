"""The invoice templates become prebill.billing's models (billing words the lines with them): the state
moves, the tables stay as they are (billing.0015 takes them over under the same names)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("documents", "0003_issued_documents"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="TemplateLine"),
                migrations.DeleteModel(name="InvoiceTemplate"),
            ],
            database_operations=[],
        ),
    ]
