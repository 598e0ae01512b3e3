from django.urls import path

from . import views

app_name = "einvoicing"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("follow/", views.follow, name="follow"),
    path("<int:pk>/send-again/", views.send_again, name="send_again"),
    path("directory/<int:client_pk>/", views.look_up, name="look_up"),
    path("reports/<int:pk>/again/", views.report_again, name="report_again"),
    path("callback/", views.callback, name="callback"),
]
