"""The storeroom pages: storerooms in the user's scope, each one's stock, a stock's ledger with
its receipts and adjustments, what is low, and the materials catalogue.

Who sees what is selectors.storerooms_for (a storeroom or stock outside it answers 404);
receipts, adjustments and new materials are for the campus's keepers (storeroom.may_keep),
the catalogue for dispatchers, maintenance heads and administrators; technicians read. Every
change is a POST to maintenance.stores (the ledger) or maintenance.storeroom (the catalogue).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.validators import MinValueValidator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from logistics.access import role_required
from logistics.models import Role
from maintenance import services, storeroom, stores
from maintenance.models import Material
from maintenance.selectors import DISPATCH_ROLES, may_dispatch

STORE_ROLES = (*DISPATCH_ROLES, Role.TECHNICIAN)
QUANTITY_MAX_LENGTH = 20


# --- Forms -------------------------------------------------------------------------------------


def _quantity_field(label, help_text=""):
    return forms.CharField(
        label=label,
        max_length=QUANTITY_MAX_LENGTH,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class ReceiptForm(forms.Form):
    quantity = _quantity_field(gettext_lazy("Quantity received"))
    reason = forms.CharField(
        label=gettext_lazy("Delivery note or supplier (optional)"),
        max_length=stores.REASON_MAX_LENGTH,
        required=False,
    )

    def clean_quantity(self):
        try:
            return stores.clean_quantity(self.cleaned_data["quantity"])
        except services.RepairInvalid as error:
            raise ValidationError(error.message) from None


class AdjustmentForm(forms.Form):
    quantity = _quantity_field(
        gettext_lazy("Correction"),
        help_text=gettext_lazy("Signed: −2 takes two off the balance, 3 adds three."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=stores.REASON_MAX_LENGTH, required=True
    )

    def clean_quantity(self):
        # A typographic minus from a phone keyboard counts as a minus.
        value = self.cleaned_data["quantity"].replace("−", "-")
        try:
            return stores.clean_quantity(value, allow_negative=True)
        except services.RepairInvalid as error:
            raise ValidationError(error.message) from None

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("Give the reason."))
        return reason


class MaterialChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {obj.display_name} ({stores.unit_of(obj)})"


class StockAddForm(forms.Form):
    material = MaterialChoiceField(
        label=gettext_lazy("Material"),
        queryset=Material.objects.filter(is_active=True).order_by("code"),
    )
    low_at = forms.DecimalField(
        label=gettext_lazy("Low-stock level"),
        min_value=0,
        max_value=storeroom.MAX_LOW_AT,
        max_digits=12,
        decimal_places=2,
        initial=0,
        help_text=gettext_lazy("A warning shows when the balance is at or below this level."),
    )


class MaterialForm(forms.ModelForm):
    class Meta:
        model = Material
        fields = list(storeroom.MATERIAL_FIELDS)
        help_texts = {
            "unit_cost": gettext_lazy(
                "A new cost applies from now on; past movements keep the cost of their day."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The database refuses a negative cost too (material_cost_not_negative).
        self.fields["unit_cost"].validators.append(MinValueValidator(0))
        self.fields["unit_cost"].widget.attrs["min"] = "0"


# --- Helpers -----------------------------------------------------------------------------------


def _keeper_or_404(request, room) -> None:
    """Technicians read the storeroom; its changes do not exist for them."""
    if not storeroom.may_keep(request.user, room):
        raise Http404


def _page(request, rows, size):
    return Paginator(rows, size).get_page(request.GET.get("page"))


# --- Storerooms --------------------------------------------------------------------------------


@require_GET
@role_required(*STORE_ROLES)
def storeroom_list(request):
    """The storerooms in scope, with how many materials each keeps and how many are low."""
    return render(
        request,
        "maintenance/store_list.html",
        {
            "storerooms": list(storeroom.storerooms_with_counts(request.user)),
            "may_edit_materials": storeroom.may_edit_materials(request.user),
        },
    )


def _storeroom_context(request, room, add_form=None) -> dict:
    lines = list(storeroom.stock_lines(room))
    for line in lines:
        line.unit = stores.unit_of(line.material)
        line.low = line.balance <= line.low_at and line.material.is_active
    may_keep = storeroom.may_keep(request.user, room)
    return {
        "storeroom": room,
        "lines": lines,
        "total_value": sum((line.value for line in lines), start=0),
        "may_keep": may_keep,
        "add_form": (add_form or StockAddForm()) if may_keep else None,
    }


@require_GET
@role_required(*STORE_ROLES)
def storeroom_detail(request, pk: int):
    """One storeroom's stock lines; its keepers add materials to it here."""
    room = storeroom.storeroom_get(request.user, pk)
    return render(request, "maintenance/store_detail.html", _storeroom_context(request, room))


@require_POST
@role_required(*DISPATCH_ROLES)
def stock_add(request, pk: int):
    room = storeroom.storeroom_get(request.user, pk)
    _keeper_or_404(request, room)
    form = StockAddForm(request.POST)
    if form.is_valid():
        try:
            stock = storeroom.stock_create(
                actor=request.user,
                storeroom=room,
                material=form.cleaned_data["material"],
                low_at=form.cleaned_data["low_at"],
            )
        except services.RepairError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(
                request,
                _("%(material)s is kept in this storeroom now. Record a receipt to stock it.")
                % {"material": stock.material.display_name},
            )
            return redirect("maintenance:stock_detail", pk=stock.pk)
    context = _storeroom_context(request, room, add_form=form)
    return render(request, "maintenance/store_detail.html", context, status=400)


# --- One stock and its ledger ------------------------------------------------------------------


def _stock_context(request, stock, **forms_) -> dict:
    may_keep = storeroom.may_keep(request.user, stock.storeroom)
    page = _page(request, storeroom.ledger(stock), storeroom.LEDGER_PAGE_SIZE)
    # Two decimals whatever the database's SUM returns, as the balance shows.
    ledger_sum = Decimal(stores.ledger_balance(stock)).quantize(Decimal("0.01"))
    return {
        "stock": stock,
        "unit": stores.unit_of(stock.material),
        "page": page,
        "ledger_sum": ledger_sum,
        "ledger_agrees": ledger_sum == stock.balance,
        "may_keep": may_keep,
        # Dispatchers open a job's request; a technician opens their own jobs' job page (the
        # request's page answers 404 to them) and reads the others' numbers only.
        "opens_tickets": may_dispatch(request.user),
        "receipt_form": (forms_.get("receipt_form") or ReceiptForm()) if may_keep else None,
        "adjustment_form": (forms_.get("adjustment_form") or AdjustmentForm())
        if may_keep
        else None,
        "token": uuid.uuid4().hex,
    }


@require_GET
@role_required(*STORE_ROLES)
def stock_detail(request, pk: int):
    """A stock's ledger, newest first, with the check that the balance is the sum of the
    movements; its keepers record receipts and adjustments here."""
    stock = storeroom.stock_get(request.user, pk)
    return render(request, "maintenance/store_stock.html", _stock_context(request, stock))


def _record_movement(request, stock, form, form_name: str, write):
    """Run `write(cleaned_data)` once per form token; re-render the ledger with the form's
    errors (the input kept) when the form or the ledger refuses."""
    token = request.POST.get("token", "")

    def rerender(status):
        context = _stock_context(request, stock, **{form_name: form})
        return render(request, "maintenance/store_stock.html", context, status=status)

    if not form.is_valid():
        return rerender(400)
    if not storeroom.submission_claim(request.user, token):
        messages.info(request, _("This was already recorded."))
        return redirect("maintenance:stock_detail", pk=stock.pk)
    try:
        message = write(form.cleaned_data)
    except services.RepairError as error:
        storeroom.submission_release(request.user, token)
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return rerender(error.status_code)
    messages.success(request, message)
    return redirect("maintenance:stock_detail", pk=stock.pk)


def _keeper_stock(request, pk: int):
    stock = storeroom.stock_get(request.user, pk)
    _keeper_or_404(request, stock.storeroom)
    return stock


@require_POST
@role_required(*DISPATCH_ROLES)
def stock_receipt(request, pk: int):
    stock = _keeper_stock(request, pk)

    def write(data):
        movement = stores.stock_receive(
            actor=request.user, stock=stock, quantity=data["quantity"], reason=data["reason"]
        )
        return _("Received %(quantity)s %(unit)s.") % {
            "quantity": movement.quantity,
            "unit": stores.unit_of(stock.material),
        }

    return _record_movement(request, stock, ReceiptForm(request.POST), "receipt_form", write)


@require_POST
@role_required(*DISPATCH_ROLES)
def stock_adjustment(request, pk: int):
    stock = _keeper_stock(request, pk)

    def write(data):
        movement = stores.stock_adjust(
            actor=request.user, stock=stock, quantity=data["quantity"], reason=data["reason"]
        )
        return _("Adjusted by %(quantity)s %(unit)s.") % {
            "quantity": movement.quantity,
            "unit": stores.unit_of(stock.material),
        }

    form = AdjustmentForm(request.POST)
    return _record_movement(request, stock, form, "adjustment_form", write)


@require_GET
@role_required(*STORE_ROLES)
def low_stock(request):
    """Every stock in scope at or below its low-stock level."""
    page = _page(request, storeroom.low_stocks(request.user), storeroom.LOW_PAGE_SIZE)
    for line in page.object_list:
        line.unit = stores.unit_of(line.material)
    return render(request, "maintenance/store_low.html", {"page": page})


# --- The materials catalogue -------------------------------------------------------------------


def _catalogue_keeper_or_404(request) -> None:
    if not storeroom.may_edit_materials(request.user):
        raise Http404


@require_GET
@role_required(*DISPATCH_ROLES)
def material_list(request):
    """The catalogue of materials, searchable by code and name."""
    _catalogue_keeper_or_404(request)
    search = request.GET.get("q", "").strip()[:100]
    page = _page(request, storeroom.materials(search), storeroom.MATERIALS_PAGE_SIZE)
    for material in page.object_list:
        material.unit_label = stores.unit_of(material)
    return render(
        request,
        "maintenance/material_list.html",
        {"page": page, "search": search, "query": urlencode({"q": search}) if search else ""},
    )


@require_http_methods(["GET", "POST"])
@role_required(*DISPATCH_ROLES)
def material_edit(request, pk: int):
    """A material's card. pk=0 is a new material (the URL `materials/0/`): there is no
    separate "new" route, and no material has the id 0."""
    _catalogue_keeper_or_404(request)
    material = Material() if pk == 0 else get_object_or_404(Material, pk=pk)
    before = storeroom.material_snapshot(material) if pk else None
    form = MaterialForm(request.POST if request.method == "POST" else None, instance=material)
    if request.method == "POST" and form.is_valid():
        try:
            saved = storeroom.material_save(
                actor=request.user, material=form.instance, before=before
            )
        except services.RepairError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("%(material)s is saved.") % {"material": saved.display_name}
            )
            return redirect("maintenance:material_list")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "maintenance/material_form.html",
        {"form": form, "material": material, "is_new": pk == 0},
        status=status,
    )
