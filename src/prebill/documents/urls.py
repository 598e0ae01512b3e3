from django.urls import path

from . import views

app_name = "documents"
urlpatterns = [
    path("invoices/<int:pk>/pdf/", views.invoice_document, name="invoice_pdf"),
    path("invoices/<int:pk>/xml/", views.invoice_cii, name="invoice_xml"),
    path("invoices/<int:pk>/ubl/", views.invoice_ubl, name="invoice_ubl"),
    path("pre-invoices/<int:pk>/pdf/", views.pre_invoice_document, name="pre_invoice_pdf"),
    path("batches/", views.start_batch, name="start_batch"),
    path("batches/<int:pk>/", views.batch_status, name="batch"),
    path("batches/<int:pk>/zip/", views.batch_zip, name="batch_zip"),
    path("batches/<int:pk>/resume/", views.resume_batch, name="resume_batch"),
]
