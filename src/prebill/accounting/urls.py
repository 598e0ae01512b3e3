from django.urls import path

from . import views

app_name = "accounting"
urlpatterns = [
    path("fec/", views.fec, name="fec"),
    path("journal.csv", views.journal, name="journal"),
    path("vat/", views.vat, name="vat"),
    path("invoices/<int:pk>/post/", views.post_invoice, name="post_invoice"),
    path("invoices/post/", views.post_selection, name="post_selection"),
    path("postings/<int:pk>/", views.postings, name="postings"),
]
