"""Row locks of the apartments app, in one place so that every writer takes them in one order.

The order, for every service that takes more than one:

    building → resident → the resident's current stay → bed → the bed's kit

A check-in locks the resident, then their current stay, then the bed; a kit check locks the
building, then the bed. No service locks a row that comes earlier in the order than one it
already holds, so two services can wait for each other but never deadlock.

The locks make concurrent desks wait for each other instead of failing; what makes them
*correct* is the database: the partial unique constraints on Stay (one current stay per bed,
one per resident). Services catch the IntegrityError those raise (see apartments.services).

On SQLite (development) `select_for_update` does nothing: SQLite locks the whole database for
each write transaction, and the constraints still hold.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet

from apartments.models import Bed, BedKit, Building, Resident, Stay
from logistics.db import ModelTemplate, StatementTemplate

# Values that occur nowhere else, standing in the compiled statements for the real ones.
_MARKERS = {
    "campus": -911_000_001,
    "gender": "zzgendermarkerzz",
    "category": "zzcategorymarkerzz",
    "student_id": "zzstudentidmarkerzz",
    "resident": -911_000_002,
    "bed": -911_000_003,
}
_FREE_BED_MARKERS = {name: _MARKERS[name] for name in ("campus", "gender", "category")}


def _template(name: str, build, markers: dict) -> ModelTemplate:
    """A check-in's look-up `name`, compiled once per process (logistics.db.ModelTemplate):
    compiling its joins cost more Python than running it (docs/performance.md, "Fifth pass").
    `build()` gives the queryset it stands for; its first row is the answer, as first()'s."""

    def first_row():
        queryset = build()
        return (queryset if queryset.ordered else queryset.order_by("pk"))[:1]

    return ModelTemplate.shared(
        f"apartments.locks.{name}", first_row, markers, using=connection.alias
    )


def building_lock(building_id: int) -> Building:
    """Serialises kit checks of one building (a whole floor marked at once against a single
    bed checked at the same moment)."""
    return Building.objects.select_for_update().get(pk=building_id)


def resident_lock(student_id: str) -> Resident | None:
    """The resident with this student id, locked: a second desk checking the same resident in
    waits here until the first has committed, then sees the first one's stay."""
    template = _template(
        "resident",
        lambda: (
            Resident.objects.select_related("campus", "user")  # the user: told of the report
            .select_for_update(of=("self",))
            .filter(student_id=_MARKERS["student_id"])
        ),
        {"student_id": _MARKERS["student_id"]},
    )
    return template.first(student_id=student_id)


def resident_current_stay_lock(resident: Resident) -> Stay | None:
    """The resident's current (reserved or active) stay, locked, with its bed, room, building and
    campus; there is at most one (constraint stay_one_current_per_resident)."""
    template = _template(
        "current_stay",
        lambda: (
            Stay.objects.select_related("bed__room__building__campus")
            .select_for_update(of=("self",))
            .filter(resident_id=_MARKERS["resident"], status__in=Stay.CURRENT)
        ),
        {"resident": _MARKERS["resident"]},
    )
    return template.first(resident=resident.pk)


def bed_lock(beds: QuerySet[Bed], bed_id: int) -> Bed | None:
    """One bed of `beds` (a queryset that may carry a scope and annotations), locked."""
    return beds.select_for_update(of=("self",)).filter(pk=bed_id).first()


# How many just-taken beds one proposal steps over before giving up to the caller's retry.
FREE_BED_RECHECKS = 50


def bed_lock_first_free(beds: QuerySet[Bed]) -> Bed | None:
    """The first bed of `beds` (free beds, in order of preference) that no other transaction
    holds, locked.

    SKIP LOCKED lets desks racing for "any free bed that fits" take different beds instead of
    queueing for the same one. But a statement sees the database as it was when it began: a
    bed that another desk gave away and committed a moment later is unlocked again by then and
    still looks free. So the locked bed is checked once more in a statement of its own, which
    sees that desk's stay, and skipped if taken. (The unique constraint remains the guard; this
    keeps desks from tripping over it.)
    """
    if not connection.features.has_select_for_update_skip_locked:
        return beds.first()
    beds = beds.select_for_update(skip_locked=True, of=("self",))
    taken: list[int] = []
    for _ in range(FREE_BED_RECHECKS):
        bed = beds.exclude(pk__in=taken).first()
        if bed is None:
            return None
        if not Stay.objects.filter(bed_id=bed.pk, status__in=Stay.CURRENT).exists():
            return bed
        taken.append(bed.pk)
    return None


# The free-bed search of a check-in, compiled once per caller scope (see first_free_bed_lock).
_FREE_BED_TEMPLATES: dict[tuple, StatementTemplate] = {}
_FREE_BED_TEMPLATES_MAX = 1000  # callers' scopes; emptied when full


def _free_bed_template(buildings: QuerySet[Building] | None) -> StatementTemplate:
    from apartments import selectors

    key = ()
    if buildings is not None:
        # The scope's own key where it has one (selectors.desk_buildings_for), else its SQL.
        key = getattr(buildings, "scope_key", None)
        if key is None:
            scope_sql, scope_params = buildings.query.sql_with_params()
            key = (scope_sql, *scope_params)
    template = _FREE_BED_TEMPLATES.get(key)
    if template is None:
        marker = Resident(
            campus_id=_MARKERS["campus"],
            gender=_MARKERS["gender"],
            category=_MARKERS["category"],
        )
        beds = selectors.beds_in(buildings=buildings)
        free = selectors.beds_free_for(
            marker,
            selectors.in_first_building_with_free_beds(marker, beds, buildings=buildings),
            mixed_rooms=False,
            taken_flag=True,
        )
        template = StatementTemplate.compile(
            free.select_for_update(skip_locked=True, of=("self",)).values_list("pk")[:1],
            _FREE_BED_MARKERS,
        )
        if len(_FREE_BED_TEMPLATES) >= _FREE_BED_TEMPLATES_MAX:
            _FREE_BED_TEMPLATES.clear()
        _FREE_BED_TEMPLATES[key] = template
    return template


def first_free_bed_lock(resident: Resident, *, buildings: QuerySet[Building] | None) -> Bed | None:
    """What bed_lock_first_free(beds_free_for(resident, in_first_building_with_free_beds(…),
    mixed_rooms=False)) finds first, the common case of a proposal, without building that
    queryset: its SQL is compiled once per caller scope (`buildings`) and run with this
    resident's campus, gender and category (logistics.db.StatementTemplate). Building the
    queryset cost more than everything else a check-in does (about 9 ms of Python against 2
    for running it, at campus scale).

    The bed found is locked (SKIP LOCKED), then read with its room, building, campus and kit
    (selectors.beds_in) in the same statement that checks it once more for a stay committed
    meanwhile (see bed_lock_first_free). None when there is no such bed, or the one found was taken:
    the caller then searches the usual way. PostgreSQL only (SKIP LOCKED)."""
    from apartments import selectors

    if buildings is not None and buildings.query.is_empty():
        return None
    template = _free_bed_template(buildings)
    with connection.cursor() as cursor:
        cursor.execute(
            template.sql,
            template.params(
                campus=resident.campus_id, gender=resident.gender, category=resident.category
            ),
        )
        row = cursor.fetchone()
    if row is None:
        return None
    # By its id alone (the statement above kept to the caller's scope), from a statement
    # compiled once: compiling this query cost more than running both (docs/performance.md,
    # "Fifth pass").
    template = _template(
        "bed_checked",
        lambda: (
            selectors.beds_in()
            .annotate(
                taken=Exists(Stay.objects.filter(bed=OuterRef("pk"), status__in=Stay.CURRENT))
            )
            .filter(pk=_MARKERS["bed"])
        ),
        {"bed": _MARKERS["bed"]},
    )
    bed = template.first(bed=row[0])
    return None if bed is None or bed.taken else bed


def bed_kit_lock(bed_id: int) -> BedKit | None:
    """The kit in a bed's locker, locked (a check-in handing it over waits, and vice versa)."""
    return BedKit.objects.select_for_update().filter(bed_id=bed_id).first()
