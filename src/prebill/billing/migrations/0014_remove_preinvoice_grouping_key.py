from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0013_draft_identity"),
        ("payments", "0003_reservation_points_to_its_draft"),
    ]

    operations = [
        migrations.RemoveField(model_name="preinvoice", name="grouping_key"),
    ]
