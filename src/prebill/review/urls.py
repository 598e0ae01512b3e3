from django.urls import path

from . import views

app_name = "review"
urlpatterns = [
    path("", views.session_list, name="list"),
    path("start/", views.start, name="start"),
    path("<int:pk>/", views.resume, name="resume"),
    path("<int:pk>/step/<int:step>/", views.step, name="step"),
    path("<int:pk>/time/<int:item_id>/", views.edit_time, name="edit_time"),
    path("<int:pk>/elements/", views.add_element, name="add_element"),
    path("<int:pk>/delivery/<int:line_id>/", views.bill_delivery, name="bill_delivery"),
    path("<int:pk>/move/<int:item_id>/", views.move, name="move"),
    path("<int:pk>/allocate/<int:item_id>/", views.allocate, name="allocate"),
    path("<int:pk>/confirm/", views.confirm, name="confirm"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
]
