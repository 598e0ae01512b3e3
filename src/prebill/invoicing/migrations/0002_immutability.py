from django.db import migrations

from prebill.invoicing.immutability import create_triggers, drop_triggers


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0001_initial"), ("audit", "0001_initial")]
    operations = [migrations.RunPython(create_triggers, drop_triggers)]
