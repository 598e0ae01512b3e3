from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "prebill.imports"
    label = "imports"
