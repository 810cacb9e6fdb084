"""Dining pages: the students' menu (phone first) with ratings, a dish's page, the canteen
staff's day board on a tablet (samples, morning checks, temperatures), suppliers and intakes,
and for the dining manager the menu import, price approvals, comment moderation and the
price-stability report. Thin views: permission-checked fetch → service → message → redirect."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dining import imports, menus, prices, report, safety, selectors, services
from dining.access import managed_canteens, work_canteens
from dining.models import (
    ALLERGENS,
    CHECK_ITEMS,
    SYMPTOMS,
    Dish,
    DishRating,
    FoodSample,
    FoodWorker,
    Fridge,
    Meal,
    MenuItem,
    PriceRequest,
    Supplier,
    TemperatureReading,
)
from logistics.access import role_required
from logistics.models import Campus, Role
from logistics.spreadsheets import XlsxWriter
from logistics.tables import ImportFileError, read_limited
from logistics.uploads import PhotoField

MANAGERS = (Role.DINING_MANAGER, Role.ADMIN)


class DishPhotoForm(forms.Form):
    photo = PhotoField(label=gettext_lazy("Photo"), capture=None)


RECORDERS = (Role.DINING_MANAGER, Role.CANTEEN_STAFF, Role.ADMIN)


def _day(request, name="date") -> dt.date:
    raw = request.GET.get(name) or request.POST.get(name)
    if not raw:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as error:
        raise Http404 from error


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _back(request, fallback: str):
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, set()):
        return redirect(target)
    return redirect(fallback)


# --- The students' menu ----------------------------------------------------------------------


@require_GET
@login_required
def menu(request):
    """Today's (or a day's) menus, or the week's, by campus and canteen, with prices,
    allergens (and "hide dishes with …"), ratings and the caller's own stars."""
    today = timezone.localdate()
    day = _day(request)
    week = request.GET.get("view") == "week"
    campus_id = _int(request.GET.get("campus"))
    canteen_id = _int(request.GET.get("canteen"))
    hide = [key for key in request.GET.getlist("hide") if key in ALLERGENS]
    first = day - dt.timedelta(days=day.weekday()) if week else day
    last = first + dt.timedelta(days=6) if week else day
    campuses = list(Campus.objects.all())
    canteens = list(selectors.canteens_for_diners())
    views = selectors.menus_between(first, last, campus=campus_id, canteen=canteen_id)
    mine = {
        (r.dish_id, r.date, r.meal): r
        for r in DishRating.objects.filter(
            user=request.user, date__gte=first, date__lte=min(last, today)
        )
    }
    hidden_count = 0
    days: dict[dt.date, list] = {}
    for view in views:
        shown = []
        for item in view.items:
            if hide and set(item.dish.allergens) & set(hide):
                hidden_count += 1
                continue
            item.mine = mine.get((item.dish_id, view.menu.date, view.menu.meal))
            shown.append(item)
        hours = view.menu.canteen.hours_of(view.menu.meal)
        days.setdefault(view.menu.date, []).append((view.menu, shown, hours))
    return render(
        request,
        "dining/menu.html",
        {
            "day": day,
            "today": today,
            "week": week,
            "first": first,
            "previous": (first - dt.timedelta(days=7 if week else 1)),
            "next": (first + dt.timedelta(days=7 if week else 1)),
            "days": sorted(days.items()),
            "campuses": campuses,
            "canteens": [c for c in canteens if campus_id is None or c.campus_id == campus_id],
            "campus_id": campus_id,
            "canteen_id": canteen_id,
            "allergens": [(key, label) for key, (label, _zh) in ALLERGENS.items()],
            "hide": hide,
            "hidden_count": hidden_count,
            "stars": range(1, 6),
            "may_manage": managed_canteens(request.user).exists(),
        },
    )


@require_POST
@login_required
def rate(request):
    dish = get_object_or_404(Dish, pk=_int(request.POST.get("dish")) or 0)
    meal = request.POST.get("meal", "")
    try:
        day = dt.date.fromisoformat(request.POST.get("date", ""))
        stars = int(request.POST.get("stars", ""))
    except ValueError:
        messages.error(request, _("Give 1 to 5 stars."))
        return _back(request, reverse("dining:menu"))
    try:
        _rating, created = services.rating_set(
            actor=request.user,
            dish=dish,
            date=day,
            meal=meal,
            stars=stars,
            comment=request.POST.get("comment", ""),
        )
    except services.RatingInvalid as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Thank you: your rating of %(dish)s is saved.") % {"dish": dish.display_name}
            if created
            else _("Your rating of %(dish)s is changed.") % {"dish": dish.display_name},
        )
    return _back(request, reverse("dining:menu"))


@require_GET
@login_required
def dish_detail(request, pk: int):
    """A dish: its allergens, its price history and its ratings' comments. Diners see the
    comments without names; the dining manager of its canteen sees who wrote them and hides
    abusive ones."""
    dish = get_object_or_404(Dish.objects.select_related("canteen__campus"), pk=pk)
    manages = managed_canteens(request.user).filter(pk=dish.canteen_id).exists()
    ratings = DishRating.objects.filter(dish=dish).exclude(comment="")
    if manages:
        ratings = ratings.select_related("user", "hidden_by")
    else:
        ratings = ratings.filter(hidden=False)
    summary = selectors.rating_summary([dish.pk]).get(dish.pk, (None, 0))
    return render(
        request,
        "dining/dish.html",
        {
            "dish": dish,
            "manages": manages,
            "ratings": list(ratings[:100]),
            "rating": summary[0],
            "rating_count": summary[1],
            "prices": list(dish.prices.select_related("set_by").order_by("-valid_from")),
        },
    )


@require_POST
@role_required(*MANAGERS)
def rating_hide(request, pk: int):
    rating = get_object_or_404(
        DishRating.objects.select_related("dish"),
        pk=pk,
        dish__canteen__in=managed_canteens(request.user),
    )
    hidden = request.POST.get("hidden", "1") == "1"
    services.rating_hide(actor=request.user, rating=rating, hidden=hidden)
    messages.success(request, _("The comment is hidden.") if hidden else _("The comment is shown."))
    return redirect("dining:dish", pk=rating.dish_id)


# --- Canteen staff: the day board ------------------------------------------------------------


@require_GET
@role_required(*RECORDERS)
def board_choose(request):
    canteens = list(work_canteens(request.user).select_related("campus"))
    if len(canteens) == 1:
        return redirect("dining:board", pk=canteens[0].pk)
    return render(request, "dining/board_choose.html", {"canteens": canteens})


@require_GET
@role_required(*RECORDERS)
def board(request, pk: int):
    """The day's food-safety board on a tablet: each meal's dishes with their samples, the
    roster with the morning checks, the fridges with their two readings."""
    canteen = get_object_or_404(work_canteens(request.user).select_related("campus"), pk=pk)
    day = _day(request)
    samples = safety.sample_board(canteen, day)
    checks = safety.check_board(canteen, day)
    fridges = safety.temperature_board(canteen, day)
    now = timezone.now()
    due = {
        row.sample.pk
        for rows in samples.values()
        for row in rows
        if row.sample
        and not row.sample.destroyed_at
        and safety.destroy_allowed_at(row.sample) <= now
    }
    return render(
        request,
        "dining/board.html",
        {
            "canteen": canteen,
            "day": day,
            "today": timezone.localdate(),
            "previous": day - dt.timedelta(days=1),
            "next": day + dt.timedelta(days=1),
            "meals": [(Meal(meal).label, meal, rows) for meal, rows in samples.items()],
            "checks": checks,
            "fridges": fridges,
            "slots": TemperatureReading.Slot.choices,
            "check_items": CHECK_ITEMS.items(),
            "symptoms": SYMPTOMS.items(),
            "fridge_choices": [f for f, _r in fridges],
            "min_grams": settings.FOOD_SAMPLE_MIN_GRAMS,
            "destroy_due": due,
            "counts": {
                "cleared": sum(1 for r in checks if r.state == "cleared"),
                "off_duty": sum(1 for r in checks if r.state == "off_duty"),
                "missing": sum(1 for r in checks if r.state == "missing"),
            },
        },
    )


def _board_back(request, canteen_id: int, day: dt.date):
    return redirect(reverse("dining:board", args=[canteen_id]) + f"?date={day.isoformat()}")


@require_POST
@role_required(*RECORDERS)
def sample_record(request, pk: int):
    canteen = get_object_or_404(work_canteens(request.user), pk=pk)
    day = _day(request)
    dish = get_object_or_404(Dish, pk=_int(request.POST.get("dish")) or 0, canteen=canteen)
    fridge = Fridge.objects.filter(
        pk=_int(request.POST.get("fridge")) or 0, canteen=canteen
    ).first()
    try:
        grams = int(request.POST.get("grams", ""))
    except ValueError:
        messages.error(request, _("Enter the sample's weight in grams."))
        return _board_back(request, canteen.pk, day)
    try:
        safety.sample_record(
            actor=request.user,
            canteen=canteen,
            date=day,
            meal=request.POST.get("meal", ""),
            dish=dish,
            grams=grams,
            fridge=fridge,
        )
    except safety.SafetyError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Sample of %(dish)s recorded: %(grams)s g.")
            % {"dish": dish.display_name, "grams": grams},
        )
    return _board_back(request, canteen.pk, day)


@require_POST
@role_required(*RECORDERS)
def sample_destroy(request, pk: int):
    sample = get_object_or_404(
        FoodSample.objects.select_related("dish"),
        pk=pk,
        canteen__in=work_canteens(request.user),
    )
    try:
        safety.sample_destroy(actor=request.user, sample=sample)
    except safety.SafetyError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The sample's destruction is recorded."))
    return _board_back(request, sample.canteen_id, sample.date)


@require_POST
@role_required(*RECORDERS)
def morning_check(request, pk: int):
    canteen = get_object_or_404(work_canteens(request.user), pk=pk)
    day = _day(request)
    worker = get_object_or_404(
        FoodWorker, pk=_int(request.POST.get("worker")) or 0, canteen=canteen
    )
    try:
        check = safety.morning_check_record(
            actor=request.user,
            worker=worker,
            date=day,
            failed_items=request.POST.getlist("failed"),
            symptoms=request.POST.getlist("symptom"),
            note=request.POST.get("note", ""),
        )
    except safety.SafetyError as error:
        messages.error(request, error.message)
    else:
        if check.cleared:
            messages.success(request, _("%(name)s is cleared for work.") % {"name": worker.name})
        else:
            messages.warning(
                request, _("%(name)s is off duty for the day.") % {"name": worker.name}
            )
    return _board_back(request, canteen.pk, day)


@require_POST
@role_required(*RECORDERS)
def temperature(request, pk: int):
    canteen = get_object_or_404(work_canteens(request.user), pk=pk)
    day = _day(request)
    fridge = get_object_or_404(Fridge, pk=_int(request.POST.get("fridge")) or 0, canteen=canteen)
    try:
        celsius = Decimal(request.POST.get("celsius", "").replace("−", "-"))
        if not celsius.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        messages.error(request, _("Enter the temperature in °C."))
        return _board_back(request, canteen.pk, day)
    try:
        safety.temperature_record(
            actor=request.user,
            fridge=fridge,
            date=day,
            slot=request.POST.get("slot", ""),
            celsius=celsius,
            action_note=request.POST.get("action_note", ""),
        )
    except safety.SafetyError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Temperature recorded."))
    return _board_back(request, canteen.pk, day)


# --- Suppliers and intakes -------------------------------------------------------------------


@require_GET
@role_required(*RECORDERS)
def suppliers(request):
    canteens = list(work_canteens(request.user).select_related("campus"))
    today = timezone.localdate()
    rows = list(
        Supplier.objects.filter(canteens__in=canteens)
        .distinct()
        .prefetch_related("certificates")
        .order_by("name")
    )
    for supplier in rows:
        certificates = list(supplier.certificates.all())
        supplier.expired = any(c.expires_on < today for c in certificates) or not certificates
        for certificate in certificates:
            certificate.days_left = (certificate.expires_on - today).days
    return render(
        request,
        "dining/suppliers.html",
        {"suppliers": rows, "canteens": canteens, "today": today},
    )


@require_POST
@role_required(*RECORDERS)
def intake(request):
    canteen = get_object_or_404(
        work_canteens(request.user), pk=_int(request.POST.get("canteen")) or 0
    )
    supplier = get_object_or_404(
        Supplier.objects.prefetch_related("certificates"),
        pk=_int(request.POST.get("supplier")) or 0,
    )
    try:
        safety.intake_record(
            actor=request.user,
            canteen=canteen,
            supplier=supplier,
            date=timezone.localdate(),
            goods=request.POST.get("goods", ""),
            quantity=request.POST.get("quantity", ""),
            invoice=request.POST.get("invoice", ""),
        )
    except safety.SafetyError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Intake recorded."))
    return redirect("dining:suppliers")


# --- The dining manager ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(*MANAGERS)
def import_upload(request):
    if not imports.may_import(request.user):
        raise Http404
    result = None
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("Choose a .csv or .xlsx file.")
        else:
            try:
                data = read_limited(upload)
            except ImportFileError as exc:
                error = str(exc)
            else:
                result = imports.import_menus(
                    data,
                    file_name=upload.name,
                    actor=request.user,
                    dry_run=request.POST.get("dry_run") == "on",
                )
    problems = result.problems() if result else []
    return render(
        request,
        "dining/import.html",
        {
            "report": result,
            "problems": problems[:500],
            "hidden": max(0, len(problems) - 500),
            "error": error,
        },
    )


@require_GET
@role_required(*MANAGERS)
def import_template(request, fmt: str):
    if fmt not in ("csv", "xlsx"):
        raise Http404
    rows = imports.template_rows(language_chinese=True)
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        response = HttpResponse(
            "\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="menus-template.csv"'
        return response
    sheet = XlsxWriter("menus", rows[0])
    for row in rows[1:]:
        sheet.append(row)
    return sheet.response("menus-template.xlsx")


@require_GET
@role_required(*MANAGERS)
def price_requests(request):
    canteens = managed_canteens(request.user)
    return render(
        request,
        "dining/prices.html",
        {
            "pending": list(prices.pending_requests_for(request.user)),
            "decided": list(
                PriceRequest.objects.filter(dish__canteen__in=canteens)
                .exclude(status=PriceRequest.Status.PENDING)
                .select_related("dish__canteen", "decided_by")
                .order_by("-decided_at")[:20]
            ),
            "dishes": list(
                Dish.objects.filter(canteen__in=canteens)
                .select_related("canteen")
                .order_by("canteen__name", "name")
            ),
            "limit": settings.PRICE_RISE_LIMIT,
            "today": timezone.localdate(),
        },
    )


@require_POST
@role_required(*MANAGERS)
def price_decide(request, pk: int):
    request_ = get_object_or_404(
        PriceRequest.objects.select_related("dish"),
        pk=pk,
        dish__canteen__in=managed_canteens(request.user),
    )
    approve = request.POST.get("decision") == "approve"
    try:
        prices.request_decide(
            actor=request.user,
            request=request_,
            approve=approve,
            reason=request.POST.get("reason", ""),
        )
    except prices.PriceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            (
                _("Approved: %(dish)s costs %(price)s yuan from %(date)s.")
                if approve
                else _("Rejected: %(dish)s keeps its price.")
            )
            % {
                "dish": request_.dish.display_name,
                "price": request_.price,
                "date": request_.valid_from,
            },
        )
    return redirect("dining:prices")


@require_POST
@role_required(*MANAGERS)
def price_set(request):
    dish = get_object_or_404(
        Dish, pk=_int(request.POST.get("dish")) or 0, canteen__in=managed_canteens(request.user)
    )
    try:
        price = Decimal(request.POST.get("price", ""))
        day = dt.date.fromisoformat(request.POST.get("valid_from", ""))
    except (InvalidOperation, ValueError):
        messages.error(request, _("Enter a price and the day it starts."))
        return redirect("dining:prices")
    try:
        result = prices.price_set(
            actor=request.user,
            dish=dish,
            price=price,
            valid_from=day,
            reason=request.POST.get("reason", ""),
        )
    except prices.PriceError as error:
        messages.error(request, error.message)
    else:
        if isinstance(result, PriceRequest):
            messages.warning(
                request,
                _("A rise of more than %(limit)s%%: it waits for approval below.")
                % {"limit": settings.PRICE_RISE_LIMIT},
            )
        else:
            messages.success(request, _("The new price is in force."))
    return redirect("dining:prices")


@require_GET
@role_required(*MANAGERS)
def price_report(request):
    canteens = list(managed_canteens(request.user).select_related("campus"))
    if not canteens:
        raise Http404
    canteen = next((c for c in canteens if c.pk == _int(request.GET.get("canteen"))), canteens[0])
    month = report.parse_month(request.GET.get("month")) or timezone.localdate().replace(day=1)
    data = report.price_stability(canteen, month)
    if request.GET.get("format") == "xlsx":
        return report.as_xlsx(data)
    return render(
        request,
        "dining/report.html",
        {
            "canteens": canteens,
            "canteen": canteen,
            "month": month,
            "data": data,
            "chart": report.chart(data),
        },
    )


# --- Editing menus (the dining manager) ------------------------------------------------------


@require_GET
@role_required(*MANAGERS)
def menu_edit(request, pk: int):
    """A canteen's menus of one day, to add or take off dishes, and the week's copy."""
    canteen = get_object_or_404(managed_canteens(request.user).select_related("campus"), pk=pk)
    day = _day(request)
    views = selectors.menus_between(day, day, canteen=canteen.pk)
    by_meal = {view.menu.meal: view.items for view in views}
    return render(
        request,
        "dining/menu_edit.html",
        {
            "canteen": canteen,
            "canteens": list(managed_canteens(request.user)),
            "day": day,
            "monday": day - dt.timedelta(days=day.weekday()),
            "previous": day - dt.timedelta(days=1),
            "next": day + dt.timedelta(days=1),
            "meals": [(value, label, by_meal.get(value, [])) for value, label in Meal.choices],
            "dishes": list(Dish.objects.filter(canteen=canteen).order_by("name")),
        },
    )


def _menu_back(canteen_id: int, day: dt.date):
    return redirect(reverse("dining:menu_edit", args=[canteen_id]) + f"?date={day.isoformat()}")


@require_POST
@role_required(*MANAGERS)
def menu_add(request, pk: int):
    canteen = get_object_or_404(managed_canteens(request.user), pk=pk)
    day = _day(request)
    dish = get_object_or_404(Dish, pk=_int(request.POST.get("dish")) or 0, canteen=canteen)
    try:
        menus.menu_item_add(
            actor=request.user,
            canteen=canteen,
            date=day,
            meal=request.POST.get("meal", ""),
            dish=dish,
        )
    except menus.MenuError as error:
        messages.error(request, error.message)
    return _menu_back(canteen.pk, day)


@require_POST
@role_required(*MANAGERS)
def menu_remove(request, pk: int):
    item = get_object_or_404(
        MenuItem.objects.select_related("menu", "dish"),
        pk=pk,
        menu__canteen__in=managed_canteens(request.user),
    )
    menus.menu_item_remove(actor=request.user, item=item)
    return _menu_back(item.menu.canteen_id, item.menu.date)


@require_POST
@role_required(*MANAGERS)
def menu_copy_week(request, pk: int):
    canteen = get_object_or_404(managed_canteens(request.user), pk=pk)
    day = _day(request)
    monday = day - dt.timedelta(days=day.weekday())
    created = menus.week_copy(actor=request.user, canteen=canteen, monday=monday)
    messages.success(
        request,
        _("Last week's menus copied: %(count)s menus created (menus already planned are kept).")
        % {"count": created},
    )
    return _menu_back(canteen.pk, day)


@require_POST
@role_required(*MANAGERS)
def dish_photo(request, pk: int):
    dish = get_object_or_404(Dish, pk=pk, canteen__in=managed_canteens(request.user))
    form = DishPhotoForm(request.POST, request.FILES)
    if form.is_valid():
        services.dish_photo_set(actor=request.user, dish=dish, file=form.cleaned_data["photo"])
        messages.success(request, _("The dish's photo is saved."))
    else:
        for problems in form.errors.values():
            for problem in problems:
                messages.error(request, problem)
    return redirect("dining:dish", pk=dish.pk)
