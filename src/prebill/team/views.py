from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render

from prebill.accounts.roles import SEE_PORTFOLIO, role_required

from .models import Collaborator


@role_required(SEE_PORTFOLIO)
def collaborator_list(request):
    search = request.GET.get("q", "").strip()
    collaborators = Collaborator.objects.prefetch_related("groups").order_by("code")
    if search:
        collaborators = collaborators.filter(Q(code__icontains=search) | Q(name__icontains=search))
    page = Paginator(collaborators, 50).get_page(request.GET.get("page", 1))
    return render(request, "team/list.html", {"page": page, "search": search, "section": "team"})
