"""A VAT breakdown group may carry its own EN 16931 category: "E" for the débours of a standard, reverse-charge or
export invoice ('' : the one its regime gives, as every group before). SQLite rebuilds the table to add the column,
which drops its triggers: they are created again, both ways."""

from django.db import migrations, models

from prebill.invoicing.immutability import recreate_triggers


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0006_exemption_wording")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, recreate_triggers),  # going back: after the column goes
        migrations.AlterModelOptions(name="invoicevat", options={"ordering": ["invoice", "rate", "category"]}),
        migrations.AddField(model_name="invoicevat", name="category",
                            field=models.CharField(blank=True, db_default="", default="", max_length=2)),
        migrations.RunPython(recreate_triggers, recreate_triggers),
    ]
