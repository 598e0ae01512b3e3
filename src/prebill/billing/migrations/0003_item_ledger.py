from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_initial")]

    operations = [
        migrations.AddField(
            model_name="billableitem", name="billed_quantity",
            field=models.DecimalField(db_default=0, decimal_places=4, default=0, max_digits=14),
        ),
        migrations.AddField(
            model_name="billableitem", name="written_off_quantity",
            field=models.DecimalField(db_default=0, decimal_places=4, default=0, max_digits=14),
        ),
    ]
