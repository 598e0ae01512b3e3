from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "prebill.orders"
    label = "orders"
    verbose_name = "customer orders"
    default_auto_field = "django.db.models.BigAutoField"
