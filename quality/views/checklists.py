"""Service standards: the checklists of every service area, their versions, and the editor of
a draft. Auditors (and administrators) manage them; a department head reads the checklists of
the areas their departments serve; anyone else gets 404."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from logistics.models import ServiceArea
from quality import checklists
from quality.models import Characteristic, ChecklistItem, ChecklistVersion, Servqual

# --- Forms -------------------------------------------------------------------------------------


class ChecklistForm(forms.Form):
    area = forms.ModelChoiceField(
        label=gettext_lazy("Service area"), queryset=ServiceArea.objects.order_by("position")
    )
    code = forms.SlugField(
        label=gettext_lazy("Code"),
        max_length=checklists.CODE_MAX_LENGTH,
        help_text=gettext_lazy("Letters, digits and hyphens, e.g. apartments-daily."),
    )
    name = forms.CharField(
        label=pgettext_lazy("thing", "Name"), max_length=checklists.NAME_MAX_LENGTH
    )
    name_en = forms.CharField(
        label=gettext_lazy("Name in English"),
        max_length=checklists.NAME_MAX_LENGTH,
        required=False,
    )


class ItemForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Requirement"),
        max_length=checklists.TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    text_en = forms.CharField(
        label=gettext_lazy("Requirement in English"),
        max_length=checklists.TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    weight = forms.DecimalField(
        label=gettext_lazy("Weight"),
        min_value=0.01,
        max_value=checklists.MAX_WEIGHT,
        decimal_places=2,
        max_digits=5,
        initial=1,
    )
    rule = forms.ChoiceField(label=gettext_lazy("Scoring rule"), choices=ChecklistItem.Rule.choices)
    max_score = forms.IntegerField(
        label=gettext_lazy("Maximum score"),
        min_value=1,
        max_value=checklists.MAX_SCORE_LIMIT,
        initial=10,
        required=False,
        help_text=gettext_lazy("For items scored with a number."),
    )
    allow_na = forms.BooleanField(
        label=gettext_lazy("May be not applicable"), required=False, initial=True
    )
    servqual = forms.ChoiceField(label=gettext_lazy("SERVQUAL dimension"), choices=Servqual.choices)
    characteristic = forms.ChoiceField(
        label=gettext_lazy("Service characteristic"), choices=Characteristic.choices
    )

    def item_input(self) -> checklists.ItemInput:
        data = self.cleaned_data
        return checklists.ItemInput(
            text=data["text"],
            text_en=data["text_en"],
            weight=data["weight"],
            rule=data["rule"],
            max_score=data["max_score"] if data["max_score"] is not None else 10,
            allow_na=data["allow_na"],
            servqual=data["servqual"],
            characteristic=data["characteristic"],
        )


def item_initial(item: ChecklistItem) -> dict:
    return {
        "text": item.text,
        "text_en": item.text_en,
        "weight": item.weight,
        "rule": item.rule,
        "max_score": item.max_score,
        "allow_na": item.allow_na,
        "servqual": item.servqual,
        "characteristic": item.characteristic,
    }


class DraftForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("What will change"),
        max_length=checklists.NOTE_MAX_LENGTH,
        required=False,
    )


# --- Pages -------------------------------------------------------------------------------------


def _readers_only(request):
    """404 for anyone who may read no checklist at all."""
    if not (checklists.may_manage(request.user) or checklists.readable_area_ids(request.user)):
        raise Http404


def _managers_only(request):
    if not checklists.may_manage(request.user):
        raise Http404


@require_GET
@login_required
def checklist_list(request):
    """Every checklist the user may read, by service area, with its published version."""
    _readers_only(request)
    rows = list(checklists.checklists_overview(request.user))
    groups: dict = {}
    for row in rows:
        groups.setdefault(row.area, []).append(row)
    return render(
        request,
        "quality/checklist_list.html",
        {
            "groups": list(groups.items()),
            "may_manage": checklists.may_manage(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def checklist_new(request):
    _managers_only(request)
    form = ChecklistForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            checklist = checklists.checklist_create(
                actor=request.user,
                area=data["area"],
                code=data["code"],
                name=data["name"],
                name_en=data["name_en"],
            )
        except checklists.ChecklistError as error:
            form.add_error(error.field or None, error.message)
        else:
            messages.success(request, _("Checklist created: add its items, then publish it."))
            return redirect("quality:version_edit", pk=checklist.versions.get().pk)
    status = 400 if form.is_bound else 200
    return render(request, "quality/checklist_new.html", {"form": form}, status=status)


@require_GET
@login_required
def checklist_detail(request, pk: int):
    """A checklist's versions and the items of its published version."""
    _readers_only(request)
    checklist = checklists.checklist_get(request.user, pk)
    may_manage = checklists.may_manage(request.user)
    versions = checklist.versions.select_related("created_by", "published_by").order_by("-number")
    if not may_manage:
        versions = versions.exclude(status=ChecklistVersion.Status.DRAFT)
    versions = list(versions)
    published = next((v for v in versions if v.status == ChecklistVersion.Status.PUBLISHED), None)
    draft = next((v for v in versions if v.status == ChecklistVersion.Status.DRAFT), None)
    return render(
        request,
        "quality/checklist_detail.html",
        {
            "checklist": checklist,
            "versions": versions,
            "published": published,
            "items": list(published.items.order_by("position", "id")) if published else [],
            "draft": draft,
            "may_manage": may_manage,
            "draft_form": DraftForm(),
        },
    )


@require_POST
@login_required
def checklist_draft(request, pk: int):
    """Start a new draft from the published version (its items copied)."""
    _managers_only(request)
    checklist = checklists.checklist_get(request.user, pk)
    form = DraftForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        draft = checklists.version_draft_create(actor=request.user, checklist=checklist, note=note)
    except checklists.DraftExists as error:
        messages.info(request, error.message)
        return redirect("quality:version_edit", pk=error.draft.pk)
    except checklists.ChecklistError as error:
        messages.error(request, error.message)
        return redirect("quality:checklist_detail", pk=checklist.pk)
    messages.success(request, _("Draft version %(number)s started.") % {"number": draft.number})
    return redirect("quality:version_edit", pk=draft.pk)


def _version_context(version, *, add_form=None, edit_forms=None, open_item=None) -> dict:
    items = list(version.items.order_by("position", "id"))
    is_draft = version.status == ChecklistVersion.Status.DRAFT
    edit_forms = edit_forms or {}
    rows = []
    for item in items:
        form = edit_forms.get(item.pk)
        if form is None and is_draft:
            form = ItemForm(initial=item_initial(item), prefix=f"item{item.pk}")
        rows.append({"item": item, "form": form, "open": item.pk == open_item})
    return {
        "version": version,
        "checklist": version.checklist,
        "rows": rows,
        "items": items,
        "is_draft": is_draft,
        "add_form": add_form if add_form is not None else (ItemForm() if is_draft else None),
    }


@require_GET
@login_required
def version_edit(request, pk: int):
    """A version's items; for a draft, the editor (add, change, delete, reorder; publish)."""
    version = checklists.version_get_for_edit(request.user, pk)
    return render(request, "quality/version_edit.html", _version_context(version))


@require_POST
@login_required
def item_save(request, pk: int):
    """Add an item to a draft (no `item`), change one (`item` = its id), or move one up or
    down (`move` = up/down)."""
    version = checklists.version_get_for_edit(request.user, pk)
    item = None
    if request.POST.get("item"):
        try:
            item = get_object_or_404(version.items, pk=int(request.POST["item"]))
        except ValueError:
            raise Http404 from None
    if item is not None and request.POST.get("move") in ("up", "down"):
        try:
            checklists.item_move(
                actor=request.user, item=item, offset=-1 if request.POST["move"] == "up" else 1
            )
        except checklists.ChecklistError as error:
            messages.error(request, error.message)
        return redirect(f"{_edit_url(version)}#item-{item.pk}")
    try:
        prefix = f"item{item.pk}" if item is not None else None
        form = ItemForm(request.POST, prefix=prefix)
        if form.is_valid():
            if item is None:
                created = checklists.item_add(
                    actor=request.user, version=version, item=form.item_input()
                )
                messages.success(request, _("Item added."))
                return redirect(f"{_edit_url(version)}#item-{created.pk}")
            checklists.item_update(actor=request.user, item=item, values=form.item_input())
            messages.success(request, _("Item saved."))
            return redirect(f"{_edit_url(version)}#item-{item.pk}")
    except checklists.VersionFrozen as error:
        messages.error(request, error.message)
        return redirect("quality:version_edit", pk=version.pk)
    except checklists.ChecklistError as error:
        form.add_error(error.field or None, error.message)
    if item is None:
        context = _version_context(version, add_form=form)
    else:
        context = _version_context(version, edit_forms={item.pk: form}, open_item=item.pk)
    return render(request, "quality/version_edit.html", context, status=400)


def _edit_url(version) -> str:
    from django.urls import reverse

    return reverse("quality:version_edit", args=[version.pk])


@require_POST
@login_required
def item_delete(request, pk: int, item_id: int):
    version = checklists.version_get_for_edit(request.user, pk)
    item = get_object_or_404(version.items, pk=item_id)
    try:
        checklists.item_delete(actor=request.user, item=item)
    except checklists.ChecklistError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Item deleted."))
    return redirect("quality:version_edit", pk=version.pk)


@require_POST
@login_required
def version_publish(request, pk: int):
    version = checklists.version_get_for_edit(request.user, pk)
    try:
        checklists.version_publish(actor=request.user, version=version)
    except checklists.ChecklistError as error:
        messages.error(request, error.message)
        return redirect("quality:version_edit", pk=version.pk)
    messages.success(
        request,
        _("Version %(number)s is published: new inspections use it.") % {"number": version.number},
    )
    return redirect("quality:checklist_detail", pk=version.checklist_id)
