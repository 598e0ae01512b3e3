from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "prebill.jobs"
    label = "jobs"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "background jobs"
