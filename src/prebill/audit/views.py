from django.core.paginator import Paginator
from django.shortcuts import render

from prebill.accounts.roles import SEE_AUDIT, role_required

from .models import AuditEvent


@role_required(SEE_AUDIT)
def trail(request):
    """Every recorded state change and special action, newest first; read-only."""
    events = AuditEvent.objects.select_related("user")
    if action := request.GET.get("action", ""):
        events = events.filter(action=action)
    page = Paginator(events, 100).get_page(request.GET.get("page", 1))
    return render(request, "audit/trail.html", {"page": page, "action": action, "section": "audit"})
