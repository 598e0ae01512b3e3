from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [path("", views.upload, name="upload"),
               path("templates/<slug:kind>.<slug:extension>", views.template, name="template")]

# The form of the orders page (an order or delivery note typed by hand) runs the import checks: served by this
# app, under /orders/ (prebill.config.urls), so that orders stay below the imports that write them.
order_entry = ([path("enter/", views.enter_order, name="enter")], "order_entry")
