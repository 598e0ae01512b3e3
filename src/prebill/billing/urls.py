from django.urls import path

from prebill.clients import views as client_views
from prebill.engagements import views as engagement_views

from . import services, views

# Creating and changing clients and engagements brings the drafts of the months already run in step: their
# views (in their apps) are given billing's bring_in_step here.
_IN_STEP = {"bring_in_step": services.bring_in_step}

app_name = "billing"
urlpatterns = [
    path("", views.pre_billing_current, name="pre_billing_current"),
    path("<str:period>/", views.pre_billing, name="pre_billing"),
    path("<str:period>/run/", views.start_run, name="start_run"),
    path("runs/<int:pk>/resume/", views.resume_run, name="resume_run"),
    path("runs/<int:pk>/", views.run_status, name="run_status"),
    path("pre-invoices/<int:pk>/", views.pre_invoice, name="pre_invoice"),
    path("lines/<int:pk>/sources/", views.line_sources, name="line_sources"),
    path("lines/<int:pk>/decisions/", views.line_decisions, name="line_decisions"),
    path("pre-invoices/<int:pk>/items/<int:item_id>/quantity/", views.change_quantity, name="change_quantity"),
    path("lines/<int:pk>/designation/", views.replace_designation, name="replace_designation"),
    path("pre-invoices/<int:pk>/lines/order/", views.reorder_lines, name="reorder_lines"),
    path("pre-invoices/<int:pk>/lines/move/", views.move_line, name="move_line"),
    path("pre-invoices/<int:pk>/decide/<str:to>/", views.decide, name="decide"),
    path("<str:period>/decide/<str:to>/", views.decide_selection, name="decide_selection"),
    path("<str:period>/bill-again/", views.bill_again, name="bill_again"),
    path("pre-invoices/<int:pk>/duplicate/", views.duplicate, name="duplicate"),
    path("pre-invoices/<int:pk>/delete/", views.delete_copy, name="delete_copy"),
    path("lines/<int:pk>/change/", views.change_copy_line, name="change_copy_line"),
    path("lines/<int:pk>/remove/", views.remove_copy_line, name="remove_copy_line"),
    path("costs/group/<str:period>/<int:collaborator_id>/", views.group_costs, name="group_costs"),
    path("costs/join/<int:pk>/", views.join_fixed_fee, name="join_fixed_fee"),
]

# Billing's actions on an engagement's page (its dated conditions bring the drafts in step; an installment
# changes while it is not invoiced): under /engagements/ (prebill.config.urls), as the page they are on.
engagement_actions = ([
    path("<str:code>/edit/", engagement_views.engagement_edit, _IN_STEP, name="edit"),
    path("parts/<int:pk>/rates/", engagement_views.rate_set, _IN_STEP, name="set_rate"),
    path("rates/<int:pk>/remove/", engagement_views.rate_remove, _IN_STEP, name="remove_rate"),
    path("installments/<int:pk>/", views.change_installment, name="change_installment"),
    path("<str:code>/conditions/", views.add_engagement_conditions, name="add_conditions"),
], "engagement_billing")

# Billing's action on a client's page (its dated conditions bring the drafts in step): under /clients/.
client_actions = ([
    path("new/", client_views.client_create, _IN_STEP, name="create"),
    path("<str:code>/edit/", client_views.client_edit, _IN_STEP, name="edit"),
    path("<str:client_code>/engagements/new/", engagement_views.engagement_create, _IN_STEP, name="new_engagement"),
    path("<str:code>/conditions/", views.add_client_conditions, name="add_conditions"),
], "client_billing")
