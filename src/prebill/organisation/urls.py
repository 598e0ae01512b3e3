from django.urls import path

from . import views

app_name = "organisation"
urlpatterns = [
    path("", views.firm_settings, name="settings"),
    path("wordings/<int:pk>/delete/", views.delete_wording, name="delete_wording"),
]
