from django.apps import AppConfig


class SendingConfig(AppConfig):
    name = "prebill.sending"
    label = "sending"
    verbose_name = "Invoices sent by e-mail"
