"""Journal entries numbered from a locked counter row (started at each journal's last number), and entries and
lines refused UPDATE and DELETE by the triggers."""

from django.db import migrations, models
from django.db.models import Max

from prebill.invoicing.immutability import recreate_triggers


def start_counters(apps, schema_editor):
    entries, counters = apps.get_model("accounting", "JournalEntry"), apps.get_model("accounting", "JournalCounter")
    for row in entries.objects.values("journal").annotate(last=Max("number")):
        counters.objects.create(journal=row["journal"], last_number=row["last"])


class Migration(migrations.Migration):
    dependencies = [("accounting", "0001_initial"), ("invoicing", "0003_seller_snapshot")]

    operations = [
        migrations.CreateModel(
            name="JournalCounter",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("journal", models.CharField(max_length=10, unique=True)),
                ("last_number", models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(start_counters, migrations.RunPython.noop),
        migrations.RunPython(recreate_triggers, recreate_triggers),
    ]
