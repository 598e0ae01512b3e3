from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from prebill.accounts.forms import ThrottledLoginForm
from prebill.api import urls as api_urls
from prebill.api import views as api_views
from prebill.billing import urls as billing_urls
from prebill.dashboard import views as dashboard_views
from prebill.imports import urls as imports_urls

urlpatterns = [
    path("", dashboard_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html", authentication_form=ThrottledLoginForm),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("billing/", include("prebill.billing.urls")),
    path("clients/", include(billing_urls.client_actions)),
    path("clients/", include("prebill.clients.urls")),
    path("engagements/", include(billing_urls.engagement_actions)),
    path("engagements/", include("prebill.engagements.urls")),
    path("team/", include("prebill.team.urls")),
    path("catalogue/", include("prebill.catalogue.urls")),
    path("imports/", include("prebill.imports.urls")),
    path("invoices/", include("prebill.invoicing.urls")),
    path("payments/", include("prebill.payments.urls")),
    path("pro-forma/", include("prebill.proforma.urls")),
    path("review/", include("prebill.review.urls")),
    path("orders/", include(imports_urls.order_entry)),
    path("orders/", include("prebill.orders.urls")),
    path("files/", include("prebill.attachments.urls")),
    path("documents/", include("prebill.documents.urls")),
    path("training/", include("prebill.training.urls")),
    path("costs/", include("prebill.costs.urls")),
    path("audit/", include("prebill.audit.urls")),
    path("accounting/", include("prebill.accounting.urls")),
    path("einvoicing/", include("prebill.einvoicing.urls")),
    path("sending/", include("prebill.sending.urls")),
    path("settings/", include("prebill.organisation.urls")),
    path("api/", api_urls.urls()),
    path("api-tokens/", api_views.tokens, name="api_tokens"),
    path("admin/", admin.site.urls),
]
