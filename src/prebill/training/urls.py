from django.urls import path

from . import views

app_name = "training"
urlpatterns = [
    path("", views.session_list, name="list"),
    path("sessions/<int:pk>/", views.session_detail, name="detail"),
    path("sessions/<int:pk>/done/", views.mark_done, name="done"),
    path("sessions/<int:pk>/cancel/", views.cancel, name="cancel"),
]
