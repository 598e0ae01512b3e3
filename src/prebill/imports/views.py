from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from prebill.accounts.roles import EDIT_PORTFOLIO, role_required

from .orders import enter_document
from .problems import ImportRejected
from .uploads import KINDS, TABLES, column_help, import_upload, max_bytes, template_csv, template_xlsx

FILE_NAMES = {"time": "temps", "metrics": "indicateurs-paie", "expenses": "frais", "purchases": "achats",
              "overtime": "heures-supplementaires"}
TEMPLATE_TYPES = {"csv": "text/csv; charset=utf-8",
                  "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@role_required(EDIT_PORTFOLIO)
def upload(request):
    """One page, the uploads: portfolio JSON; timesheets, payroll metrics and costs as CSV or XLSX, each with
    its help (columns, forms, an example) and its templates."""
    context = {"section": "imports", "max_mb": f"{max_bytes() / 1024 / 1024:g}",
               "tables": {kind: {"label": _(table.label), "columns": column_help(kind)}
                          for kind, table in TABLES.items()}}
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        file = request.FILES.get("file")
        context["kind"] = kind
        if kind not in KINDS or file is None:
            context["problems"] = [_("%(kind)s: choose a file to import") % {"kind": kind or _("file")}]
        else:
            try:
                context["counts"] = import_upload(kind, file)
            except ImportRejected as rejected:
                context["problems"] = [problem.located(_) for problem in rejected.problems]
                context["source"] = file.name
    return render(request, "imports/upload.html", context, status=422 if context.get("problems") else 200)


@role_required(EDIT_PORTFOLIO)
@require_GET
def template(request, kind: str, extension: str):
    """A file to fill in for an import: French headers and an example line, CSV (semicolons) or XLSX."""
    if kind not in TABLES or extension not in TEMPLATE_TYPES:
        raise Http404
    content = template_csv(kind) if extension == "csv" else template_xlsx(kind)
    response = HttpResponse(content, content_type=TEMPLATE_TYPES[extension])
    response["Content-Disposition"] = f'attachment; filename="modele-{FILE_NAMES[kind]}.{extension}"'
    return response


@role_required(EDIT_PORTFOLIO)
@require_POST
def enter_order(request):
    """An order or delivery note typed on the orders page, checked as an import of one document."""
    post = request.POST
    delivery = post.get("kind") == "delivery"
    row = {"client": post.get("client", "").strip(), "engagement": post.get("engagement", "").strip(),
           "number": post.get("number", "").strip()[:50], "date": post.get("date", ""),
           "lines": [{"article": post.get("article", "").strip(), "designation": post.get("designation", ""),
                      "quantity": post.get("quantity", "").replace(",", ".").strip(),
                      "unit_price": post.get("unit_price", "").replace(",", ".").strip()}]}
    if not row["number"]:
        messages.error(request, _("A document has a number."))
        return redirect("orders:list")
    problems = enter_document(row, delivery=delivery)
    for problem in problems:
        messages.error(request, _("%(where)s: %(why)s") % {"where": problem.where.removeprefix("form."),
                                                            "why": problem.translated(_)})
    if not problems:
        messages.success(request, _("%(number)s saved.") % {"number": row["number"]})
    return redirect("orders:list")
