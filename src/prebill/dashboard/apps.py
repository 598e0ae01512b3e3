from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "prebill.dashboard"
    label = "dashboard"
