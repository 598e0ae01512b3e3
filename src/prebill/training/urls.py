from django.urls import path

from . import views

app_name = "training"
urlpatterns = [
    path("", views.session_list, name="list"),
    path("sessions/new/", views.session_new, name="new"),
    path("sessions/<int:pk>/", views.session_detail, name="detail"),
    path("sessions/<int:pk>/edit/", views.session_edit, name="edit"),
    path("sessions/<int:pk>/done/", views.mark_done, name="done"),
    path("sessions/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("sessions/<int:pk>/documents/", views.attach_document, name="attach_document"),
    path("products/", views.product_list, name="products"),
    path("products/new/", views.product_new, name="product_new"),
    path("products/<int:pk>/edit/", views.product_edit, name="product_edit"),
    path("invoice-by-hand/", views.invoice_by_hand_page, name="invoice_by_hand"),
    path("invoice-by-hand/draft/", views.invoice_by_hand, name="invoice_by_hand_draft"),
    path("pre-invoices/<int:pk>/sessions/", views.add_session, name="add_session"),
]
