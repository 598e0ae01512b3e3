from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    path("aged-balance/", views.aged_balance, name="aged_balance"),
    path("deposits/<str:code>/", views.deposit, name="deposit"),
    path("reserve/<int:pre_invoice_id>/", views.reserve, name="reserve"),
    path("reservations/<int:pk>/release/", views.release, name="release"),
    path("invoices/<int:pk>/pay/", views.pay_invoice, name="pay_invoice"),
    path("invoices/<int:pk>/use-deposit/", views.use_deposit, name="use_deposit"),
    path("allocations/<int:pk>/remove/", views.remove_allocation, name="remove_allocation"),
    path("<int:pk>/cancel/", views.cancel_payment, name="cancel_payment"),
]
