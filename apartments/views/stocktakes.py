"""Asset stocktakes (固定资产盘点): the list and start form, the count page for a tablet (a
scanner types the tag and presses Enter), the differences with who answers for each, the Excel
export and the completion. Pages read through apartments.stocktakes' selectors and write
through its services; a stocktake the user may not count is a 404."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from apartments import stocktakes
from apartments.models import AssetCondition, Stocktake
from logistics.access import role_required
from logistics.spreadsheets import XlsxWriter, safe_cell

CONDITION_CHOICES = [(c.value, c.label) for c in stocktakes.COUNTED_CONDITIONS]


class StartForm(forms.Form):
    place = forms.ChoiceField(label=gettext_lazy("Building or storeroom"))

    def __init__(self, *args, places: stocktakes.Places, **kwargs):
        super().__init__(*args, **kwargs)
        self.buildings = {
            str(b.pk): b for b in places.buildings.select_related("campus").order_by("code")
        }
        self.storerooms = {
            str(s.pk): s for s in places.storerooms.select_related("campus").order_by("code")
        }
        self.building_choices = [(f"b{pk}", f"{b.code} {b}") for pk, b in self.buildings.items()]
        self.storeroom_choices = [(f"s{pk}", f"{s.code} {s}") for pk, s in self.storerooms.items()]
        choices = [("", "—"), *self.building_choices, *self.storeroom_choices]
        self.fields["place"].choices = choices

    def place_kwargs(self) -> dict:
        value = self.cleaned_data["place"]
        if value.startswith("b"):
            return {"building": self.buildings[value[1:]]}
        return {"storeroom": self.storerooms[value[1:]]}


class CountForm(forms.Form):
    tag = forms.CharField(label=gettext_lazy("Tag number"), max_length=40)
    condition = forms.ChoiceField(
        label=gettext_lazy("Condition"), choices=CONDITION_CHOICES, initial=AssetCondition.GOOD
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)


class ResponsibleForm(forms.Form):
    responsible = forms.CharField(label=gettext_lazy("Responsible"), max_length=100, required=False)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)


class CompleteForm(forms.Form):
    apply_to_books = forms.TypedChoiceField(
        label=gettext_lazy("The books"),
        choices=[
            (
                "1",
                gettext_lazy(
                    "Apply the count to the books: not found → missing, found → as counted"
                ),
            ),
            ("0", gettext_lazy("Leave the books as they are (record the differences only)")),
        ],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    confirm = forms.BooleanField(
        label=gettext_lazy(
            "I have finished counting. Close this stocktake; it cannot be changed afterwards."
        )
    )


def _start_form_or_404(user, data=None) -> StartForm:
    """The start form, listing the places the user may count; 404 for a user with none."""
    form = StartForm(data, places=stocktakes.stocktake_places(user))
    if not (form.buildings or form.storerooms):
        raise Http404
    return form


@require_GET
@role_required(*stocktakes.STOCKTAKE_ROLES)
def stocktake_list(request):
    form = _start_form_or_404(request.user)
    all_stocktakes = list(stocktakes.stocktake_list(request.user))
    context = {
        "open_stocktakes": [s for s in all_stocktakes if s.status == Stocktake.Status.OPEN],
        "completed_stocktakes": [
            s for s in all_stocktakes if s.status == Stocktake.Status.COMPLETED
        ],
        "form": form,
    }
    return render(request, "apartments/stocktake_list.html", context)


@require_POST
@role_required(*stocktakes.STOCKTAKE_ROLES)
def stocktake_start(request):
    form = _start_form_or_404(request.user, request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a building or a storeroom you may count."))
        return redirect("apartments:stocktake_list")
    try:
        stocktake = stocktakes.stocktake_start(actor=request.user, **form.place_kwargs())
    except stocktakes.StocktakeError as error:
        messages.error(request, error.message)
        return redirect("apartments:stocktake_list")
    messages.success(request, _("Stocktake started. Scan the tags of every asset you find."))
    return redirect("apartments:stocktake_count", pk=stocktake.pk)


def _count_context(stocktake, form=None) -> dict:
    return {
        "stocktake": stocktake,
        "place": stocktakes.place_label(stocktake),
        "progress": stocktakes.stocktake_progress(stocktake),
        "recent": stocktakes.stocktake_recent(stocktake),
        "form": form or CountForm(),
    }


@require_GET
@role_required(*stocktakes.STOCKTAKE_ROLES)
def stocktake_count_page(request, pk: int):
    stocktake = stocktakes.stocktake_get(request.user, pk)
    if stocktake.status == Stocktake.Status.COMPLETED:
        return redirect("apartments:stocktake_differences", pk=stocktake.pk)
    context = _count_context(stocktake)
    context["to_find"] = stocktakes.stocktake_to_find(stocktake)
    return render(request, "apartments/stocktake_count.html", context)


@require_POST
@role_required(*stocktakes.STOCKTAKE_ROLES)
def stocktake_count(request, pk: int):
    stocktake = stocktakes.stocktake_get(request.user, pk)
    form = CountForm(request.POST)
    result, error, status = None, "", 200
    if form.is_valid():
        values = form.cleaned_data
        try:
            result = stocktakes.stocktake_count(
                actor=request.user,
                stocktake=stocktake,
                tag=values["tag"],
                condition=values["condition"],
                note=values["note"],
            )
        except stocktakes.StocktakeError as exc:
            error, status = exc.message, exc.status_code
    else:
        error, status = _("Enter or scan a tag number."), 400
    if request.htmx:
        context = {**_count_context(stocktake), "result": result, "error": error}
        return render(request, "apartments/stocktake_count_result.html", context, status=status)
    if error:
        messages.error(request, error)
    elif result.outcome in ("found", "recounted"):
        messages.success(request, result.message)
    else:
        messages.warning(request, result.message)
    return redirect("apartments:stocktake_count", pk=stocktake.pk)


@require_GET
@role_required(*stocktakes.STOCKTAKE_ROLES)
def stocktake_differences(request, pk: int):
    stocktake = stocktakes.stocktake_get(request.user, pk)
    context = {
        "stocktake": stocktake,
        "place": stocktakes.place_label(stocktake),
        "progress": stocktakes.stocktake_progress(stocktake),
        "differences": stocktakes.stocktake_differences(stocktake),
        "is_open": stocktake.status == Stocktake.Status.OPEN,
        "complete_form": CompleteForm(),
    }
    return render(request, "apartments/stocktake_differences.html", context)


@require_POST
@role_required(*stocktakes.STOCKTAKE_ROLES)
def stocktake_responsible(request, pk: int, line_id: int):
    stocktake = stocktakes.stocktake_get(request.user, pk)
    line = stocktakes.stocktake_line_get(stocktake, line_id)
    form = ResponsibleForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            line = stocktakes.stocktake_line_set_responsible(
                actor=request.user,
                line=line,
                responsible=form.cleaned_data["responsible"],
                note=form.cleaned_data["note"],
            )
        except stocktakes.StocktakeError as exc:
            error = exc.message
    else:
        error = _("Too long: at most 100 characters for the name, 200 for the note.")
    if request.htmx:
        context = {"stocktake": stocktake, "line": line, "is_open": not error, "saved": not error}
        context["error"] = error
        return render(
            request,
            "apartments/stocktake_responsible.html",
            context,
            status=409 if error else 200,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("%(tag)s: saved.") % {"tag": line.tag})
    url = reverse("apartments:stocktake_differences", args=[stocktake.pk])
    return redirect(f"{url}#line-{line.pk}")


@require_POST
@role_required(*stocktakes.STOCKTAKE_ROLES)
def stocktake_complete(request, pk: int):
    stocktake = stocktakes.stocktake_get(request.user, pk)
    form = CompleteForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            _("Choose what happens to the books and confirm that counting is finished."),
        )
        return redirect("apartments:stocktake_differences", pk=stocktake.pk)
    try:
        stocktakes.stocktake_complete(
            actor=request.user,
            stocktake=stocktake,
            apply_to_books=form.cleaned_data["apply_to_books"],
        )
    except stocktakes.StocktakeError as error:
        messages.error(request, error.message)
    else:
        if form.cleaned_data["apply_to_books"]:
            messages.success(request, _("Stocktake completed; the books now follow the count."))
        else:
            messages.success(request, _("Stocktake completed; the books are unchanged."))
    return redirect("apartments:stocktake_differences", pk=stocktake.pk)


@require_GET
@role_required(*stocktakes.STOCKTAKE_ROLES)
def stocktake_export(request, pk: int):
    """Every line, and the differences with who answers for them, as an Excel file."""
    stocktake = stocktakes.stocktake_get(request.user, pk)
    conditions = dict(AssetCondition.choices)
    sheet = XlsxWriter(
        _("Lines"),
        [
            _("Tag number"),
            _("Asset type"),
            _("Place on the books"),
            _("Condition on the books"),
            _("Found"),
            _("Condition found"),
            _("Responsible"),
            _("Note"),
            _("Counted by"),
            _("Counted at"),
        ],
    )
    for line in stocktakes.stocktake_lines(stocktake).iterator(chunk_size=2000):
        asset = line.asset
        sheet.append(
            [
                line.tag,
                str(asset.asset_type) if asset else "",
                stocktakes.location_label(asset) if asset else _("not on the books"),
                str(conditions.get(asset.condition, "")) if asset else "",
                _("yes") if line.found else _("no"),
                str(conditions.get(line.condition, "")),
                line.responsible,
                line.note,
                line.counted_by.display_name if line.counted_by else "",
                timezone.localtime(line.counted_at).strftime("%Y-%m-%d %H:%M")
                if line.counted_at
                else "",
            ]
        )
    differences = stocktakes.stocktake_differences(stocktake)
    kinds = {
        "missing": _("On the books, not found"),
        "surplus": _("Found, not on the books"),
        "changed": _("Condition changed"),
    }
    second = sheet.workbook.create_sheet(_("Differences")[:31])
    header = [
        _("Difference"),
        _("Tag number"),
        _("Asset type"),
        _("Place on the books"),
        _("Condition on the books"),
        _("Condition found"),
        _("Responsible"),
        _("Note"),
    ]
    second.append([safe_cell(second, v) for v in header])
    for kind, line in differences.lines():
        asset = line.asset or line.elsewhere
        row = [
            kinds[kind],
            line.tag,
            str(asset.asset_type) if asset else "",
            stocktakes.location_label(asset) if asset else "",
            str(conditions.get(line.book_condition, "")),
            str(conditions.get(line.condition, "")) if line.found else "",
            line.responsible,
            line.note,
        ]
        second.append([safe_cell(second, v) for v in row])
    day = timezone.localtime(stocktake.started_at).strftime("%Y%m%d")
    return sheet.response(f"stocktake-{stocktake.pk}-{day}.xlsx")
