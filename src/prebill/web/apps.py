from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "prebill.web"
    label = "web"
