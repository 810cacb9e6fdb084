"""The upload page for the room and resident imports (the same engine as the commands)."""

import csv
import io
from functools import wraps

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from apartments import imports
from apartments.forms import ImportForm
from logistics.access import role_required
from logistics.models import Role
from logistics.spreadsheets import XlsxWriter

# The page shows this many errors; the rest are counted (the command prints them all).
ERRORS_SHOWN = 500


def _may_import(view):
    """Administrators and the heads of the apartments on every campus; others get 404."""

    @role_required(Role.ADMIN, Role.DEPARTMENT_HEAD)
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not imports.may_import(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


@require_http_methods(["GET", "POST"])
@_may_import
def import_upload(request):
    report = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                data = imports.read_limited(upload)
            except imports.ImportFileError as exc:
                form.add_error("file", str(exc))
            else:
                report = imports.run_import(
                    form.cleaned_data["kind"],
                    data=data,
                    file_name=upload.name,
                    actor=request.user,
                    dry_run=form.cleaned_data["dry_run"],
                    create_campuses=form.cleaned_data.get("create_campuses", False),
                )
    else:
        form = ImportForm(user=request.user)
    errors = report.sorted_errors() if report else []
    return render(
        request,
        "apartments/import_upload.html",
        {
            "form": form,
            "report": report,
            "errors": errors[:ERRORS_SHOWN],
            "errors_hidden": max(0, len(errors) - ERRORS_SHOWN),
            "kinds": imports.ImportKind.choices,
        },
    )


@require_GET
@_may_import
def import_template(request, kind: str, fmt: str):
    """A file to fill in: the Chinese headers and one example row."""
    if kind not in imports.ImportKind.values or fmt not in ("csv", "xlsx"):
        raise Http404
    rows = imports.template_rows(kind)
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        # With a BOM, Excel opens a UTF-8 CSV as UTF-8 rather than as the local code page.
        response = HttpResponse(
            "\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{kind}-template.csv"'
        return response
    sheet = XlsxWriter(kind, rows[0])
    for row in rows[1:]:
        sheet.append(row)
    return sheet.response(f"{kind}-template.xlsx")
