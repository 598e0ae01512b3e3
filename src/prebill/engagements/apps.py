from django.apps import AppConfig


class EngagementsConfig(AppConfig):
    name = "prebill.engagements"
    label = "engagements"
    default_auto_field = "django.db.models.BigAutoField"
