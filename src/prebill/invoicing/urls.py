from django.urls import path

from . import views

app_name = "invoicing"
urlpatterns = [
    path("", views.invoice_list, name="list"),
    path("validate/<int:pre_invoice_id>/", views.validate, name="validate"),
    path("validate/month/<str:period>/", views.validate_selection, name="validate_selection"),
    path("validations/<int:pk>/", views.validations, name="validations"),
    path("<int:pk>/", views.invoice_detail, name="detail"),
    path("number/<str:number>/", views.by_number, name="by_number"),
    path("<int:pk>/credit/", views.credit, name="credit"),
]
