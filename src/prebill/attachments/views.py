from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404

from prebill.accounts.roles import SEE_PORTFOLIO, role_required

from .models import Attachment
from .services import may_see, path_of


@role_required(SEE_PORTFOLIO)
def download(request, pk: int):
    attachment = get_object_or_404(Attachment, pk=pk)
    if not may_see(request.user, attachment):
        raise PermissionDenied("you may not see this client's files")
    path = path_of(attachment)
    if not path.exists():
        raise Http404("the file is missing from the store")
    response = FileResponse(path.open("rb"), content_type=attachment.content_type, as_attachment=True,
                            filename=attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response
