from django.urls import path

from . import views

app_name = "costs"
urlpatterns = [
    path("", views.cost_list, name="list"),
    path("expenses/", views.declare_expense, name="declare_expense"),
    path("purchases/", views.record_purchase, name="record_purchase"),
    path("overtime/", views.declare_overtime, name="declare_overtime"),
    path("units/", views.enter_units, name="enter_units"),
    path("reports/<int:collaborator_id>/<int:engagement_id>/<str:month>/", views.sign_report, name="sign_report"),
]
