from django.urls import path

from . import views

app_name = "sending"
urlpatterns = [
    path("invoices/<int:pk>/", views.send_invoice, name="send_invoice"),
    path("invoices/", views.send_selection, name="send_selection"),
    path("jobs/<int:pk>/", views.sendings, name="sendings"),
    path("jobs/<int:pk>/retry/", views.retry_sendings, name="retry_sendings"),
    path("emails/<int:pk>/retry/", views.retry_email, name="retry_email"),
]
