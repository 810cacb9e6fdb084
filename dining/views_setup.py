"""The dining manager's set-up pages (dining.setup): their canteens, each with its workers,
fridges and staff. Another campus's canteen answers 404."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dining import setup
from dining.access import managed_canteens
from dining.models import CanteenAssignment, FoodWorker, Fridge
from logistics.access import role_required
from logistics.models import Role

MANAGERS = (Role.DINING_MANAGER, Role.ADMIN)


@require_GET
@role_required(*MANAGERS)
def canteen_list(request):
    canteens = (
        managed_canteens(request.user)
        .select_related("campus")
        .annotate(
            n_workers=Count("workers", distinct=True),
            n_fridges=Count("fridges", distinct=True),
            n_staff=Count("assignments", distinct=True),
        )
    )
    return render(request, "dining/setup/list.html", {"canteens": canteens})


@require_http_methods(["GET", "POST"])
@role_required(*MANAGERS)
def canteen_new(request):
    form = setup.CanteenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            canteen = setup.canteen_save(actor=request.user, form=form)
        except setup.SetupError as error:
            form.add_error(error.field or None, error.message)
        else:
            messages.success(request, _("Canteen %(name)s added.") % {"name": canteen})
            return redirect("dining:setup_canteen", pk=canteen.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "dining/setup/new.html", {"form": form}, status=status)


def _canteen(request, pk):
    return get_object_or_404(
        managed_canteens(request.user)
        .select_related("campus")
        .prefetch_related(
            Prefetch("workers", queryset=FoodWorker.objects.order_by("-on_roster", "name")),
            Prefetch("fridges", queryset=Fridge.objects.order_by("-active", "name")),
            Prefetch(
                "assignments",
                queryset=CanteenAssignment.objects.select_related("user").order_by(
                    "user__username"
                ),
            ),
        ),
        pk=pk,
    )


@require_http_methods(["GET", "POST"])
@role_required(*MANAGERS)
def canteen_page(request, pk: int):
    """The canteen's details (a POST saves them) with its workers, fridges and staff."""
    canteen = _canteen(request, pk)
    form = setup.CanteenForm(request.POST or None, instance=canteen, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                setup.canteen_save(actor=request.user, form=form)
            except setup.SetupError as error:
                form.add_error(error.field or None, error.message)
            else:
                messages.success(request, _("Saved."))
                return redirect("dining:setup_canteen", pk=canteen.pk)
        status = 400
    return _page(request, canteen, form=form, status=status)


def _page(request, canteen, *, form=None, status=200, **forms_):
    context = {
        "canteen": canteen,
        "form": form or setup.CanteenForm(instance=canteen, user=request.user),
        "worker_form": forms_.get("worker_form") or setup.WorkerForm(prefix="worker"),
        "fridge_form": forms_.get("fridge_form") or setup.FridgeForm(prefix="fridge"),
        "staff_form": forms_.get("staff_form") or setup.StaffForm(prefix="staff"),
    }
    return render(request, "dining/setup/canteen.html", context, status=status)


@require_POST
@role_required(*MANAGERS)
def worker_add(request, pk: int):
    canteen = _canteen(request, pk)
    form = setup.WorkerForm(request.POST, prefix="worker")
    if not form.is_valid():
        return _page(request, canteen, worker_form=form, status=400)
    worker = setup.worker_add(actor=request.user, canteen=canteen, form=form)
    messages.success(request, _("%(name)s is on the roster.") % {"name": worker.name})
    return redirect("dining:setup_canteen", pk=canteen.pk)


@require_POST
@role_required(*MANAGERS)
def worker_roster(request, pk: int):
    worker = get_object_or_404(
        FoodWorker.objects.filter(canteen__in=managed_canteens(request.user)), pk=pk
    )
    setup.worker_roster(
        actor=request.user, worker=worker, on_roster=request.POST.get("on_roster") == "1"
    )
    return redirect("dining:setup_canteen", pk=worker.canteen_id)


@require_POST
@role_required(*MANAGERS)
def fridge_add(request, pk: int):
    canteen = _canteen(request, pk)
    form = setup.FridgeForm(request.POST, prefix="fridge")
    if not form.is_valid():
        return _page(request, canteen, fridge_form=form, status=400)
    fridge = setup.fridge_add(actor=request.user, canteen=canteen, form=form)
    messages.success(request, _("%(name)s added.") % {"name": fridge.name})
    return redirect("dining:setup_canteen", pk=canteen.pk)


@require_POST
@role_required(*MANAGERS)
def fridge_in_use(request, pk: int):
    fridge = get_object_or_404(
        Fridge.objects.filter(canteen__in=managed_canteens(request.user)), pk=pk
    )
    setup.fridge_in_use(actor=request.user, fridge=fridge, active=request.POST.get("active") == "1")
    return redirect("dining:setup_canteen", pk=fridge.canteen_id)


@require_POST
@role_required(*MANAGERS)
def staff_add(request, pk: int):
    canteen = _canteen(request, pk)
    form = setup.StaffForm(request.POST, prefix="staff")
    if form.is_valid():
        try:
            setup.staff_add(
                actor=request.user, canteen=canteen, username=form.cleaned_data["username"]
            )
        except setup.SetupError as error:
            form.add_error("username", error.message)
        else:
            messages.success(request, _("Added to the canteen's staff."))
            return redirect("dining:setup_canteen", pk=canteen.pk)
    return _page(request, canteen, staff_form=form, status=400)


@require_POST
@role_required(*MANAGERS)
def staff_remove(request, pk: int):
    assignment = get_object_or_404(
        CanteenAssignment.objects.filter(canteen__in=managed_canteens(request.user)).select_related(
            "canteen", "user"
        ),
        pk=pk,
    )
    setup.staff_remove(actor=request.user, assignment=assignment)
    messages.success(request, _("Removed from the canteen's staff."))
    return redirect("dining:setup_canteen", pk=assignment.canteen_id)
