from django.apps import AppConfig


class SendingConfig(AppConfig):
    name = "prebill.sending"
    label = "sending"
    verbose_name = "Invoices sent by e-mail"

    def ready(self) -> None:
        from . import services  # noqa: F401  (registers the sending job, which a worker runs without any page)
