from django.urls import path

from . import views

app_name = "proforma"
urlpatterns = [
    path("", views.pro_forma_list, name="list"),
    path("generate/", views.generate, name="generate"),
    path("<int:pk>/", views.pro_forma_detail, name="detail"),
    path("<int:pk>/process/", views.process, name="process"),
    path("lines/<int:pk>/amount/", views.change_amount, name="change_amount"),
    path("lines/<int:pk>/<str:status>/", views.set_status, name="set_status"),
]
