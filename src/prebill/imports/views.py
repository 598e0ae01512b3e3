from django.shortcuts import render

from prebill.accounts.roles import EDIT_PORTFOLIO, role_required

from .problems import ImportRejected
from .uploads import KINDS, import_upload


@role_required(EDIT_PORTFOLIO)
def upload(request):
    """One page, three uploads: portfolio JSON, timesheet CSV, payroll metrics CSV."""
    context = {"section": "imports"}
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        file = request.FILES.get("file")
        context["kind"] = kind
        if kind not in KINDS or file is None:
            context["problems"] = [f"{kind or 'file'}: choose a file to import"]
        else:
            try:
                context["counts"] = import_upload(kind, file)
            except ImportRejected as rejected:
                context["problems"] = [str(problem) for problem in rejected.problems]
                context["source"] = file.name
    return render(request, "imports/upload.html", context, status=422 if context.get("problems") else 200)
