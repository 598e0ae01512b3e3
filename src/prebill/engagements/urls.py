from django.urls import path

from . import views

app_name = "engagements"
urlpatterns = [
    path("", views.engagement_list, name="list"),
    path("<str:code>/", views.engagement_detail, name="detail"),
]
