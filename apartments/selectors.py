"""Reads of the apartments app, scoped to who is asking."""

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, time

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from apartments.models import (
    Asset,
    AssetCondition,
    Bed,
    Building,
    BuildingAssignment,
    BuildingTally,
    Category,
    GenderPolicy,
    KitCheck,
    KitType,
    Resident,
    Room,
    RoomKind,
    Stay,
)
from logistics.access import ALL, campus_scope, has_role, head_campuses_for_area, roles_of
from logistics.models import Role

# Roles that may look at buildings at all; which buildings is buildings_for()'s business.
BUILDING_VIEWERS = (
    Role.DORM_MANAGER,
    Role.SHIFT_LEAD,
    Role.DEPARTMENT_HEAD,
    Role.AUDITOR,
    Role.ADMIN,
)


@dataclass(frozen=True)
class Visibility:
    """What part of the apartments a user sees: everything, whole campuses, and/or the
    buildings assigned to them."""

    everything: bool = False
    campus_ids: frozenset[int] = frozenset()
    assigned: bool = False  # plus the buildings of their BuildingAssignments
    user_id: int | None = None

    @property
    def nothing(self) -> bool:
        return not (self.everything or self.campus_ids or self.assigned)

    def building_q(self, prefix: str = "") -> Q:
        """A filter for Building (or, with `prefix` such as "bed__room__building__", for a model
        reaching a building) that keeps what this visibility covers."""
        if self.everything:
            return Q()
        allowed = Q(pk__in=[]) if not prefix else Q(**{f"{prefix}pk__in": []})
        if self.campus_ids:
            allowed |= Q(**{f"{prefix}campus_id__in": self.campus_ids})
        if self.assigned:
            allowed |= Q(
                **{
                    f"{prefix}pk__in": BuildingAssignment.objects.filter(
                        user_id=self.user_id
                    ).values("building_id")
                }
            )
        return allowed


def visibility_of(user) -> Visibility:
    """Administrators and auditors see every building (within their campus grant); heads of
    a department serving the apartments area those of their campus; dorm managers and shift
    leads the buildings assigned to them."""
    if not user.is_authenticated:
        return Visibility()
    if Role.ADMIN in roles_of(user):
        return Visibility(everything=True)
    campuses: set[int] = set()
    for scope in (campus_scope(user, Role.AUDITOR), apartment_head_campuses(user)):
        if scope is ALL:
            return Visibility(everything=True)
        campuses |= scope
    return Visibility(
        campus_ids=frozenset(campuses),
        assigned=has_role(user, Role.DORM_MANAGER, Role.SHIFT_LEAD),
        user_id=user.pk,
    )


def buildings_for(user) -> QuerySet[Building]:
    """The buildings `user` may see (see visibility_of)."""
    visibility = visibility_of(user)
    if visibility.nothing:
        return Building.objects.none()
    return Building.objects.filter(visibility.building_q())


def desk_buildings_for(user) -> QuerySet[Building]:
    """The buildings whose move-in desk and bedding kits `user` works: every one for an
    administrator, else the buildings assigned to them as dorm manager or shift lead. Seeing
    a building (as an auditor or a head) is not working in it."""
    if not user.is_authenticated:
        return Building.objects.none()
    if Role.ADMIN in roles_of(user):
        return _scoped(Building.objects.all(), ("all",))
    if not has_role(user, Role.DORM_MANAGER, Role.SHIFT_LEAD):
        return Building.objects.none()
    return _scoped(
        Building.objects.filter(
            pk__in=BuildingAssignment.objects.filter(user_id=user.pk).values("building_id")
        ),
        ("assigned", user.pk),
    )


def _scoped(buildings: QuerySet[Building], key: tuple) -> QuerySet[Building]:
    """`buildings` named by `key`, which stands for its SQL: what the check-in's compiled
    free-bed search is keyed on (apartments.locks), instead of compiling the queryset to find
    its SQL on every check-in. Only on this queryset itself: a queryset made from it (a
    filter, a clone) has no key."""
    buildings.scope_key = ("desk_buildings", *key)
    return buildings


def desk_building_get(user, pk: int) -> Building:
    """One building whose desk `user` works, or 404."""
    return get_object_or_404(desk_buildings_for(user).select_related("campus"), pk=pk)


def apartment_head_campuses(user):
    """Campuses (or ALL) where the user heads a department serving the apartments area."""
    return head_campuses_for_area(user, "apartments")


def related_count(model, path: str):
    return Coalesce(
        Subquery(
            model.objects.filter(**{path: OuterRef("pk")})
            .order_by()
            .values(path)
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


def tallied_beds():
    """A building's beds as its move-in tallies count them (apartments/tallies.py: the sum
    over its slot rows, kept equal to a count of the beds by triggers): a few rows read by
    index, where counting the beds through their rooms made PostgreSQL hash every bed of the
    university once per building (80 ms for 30 buildings at ten times the demo)."""
    return Coalesce(
        Subquery(
            BuildingTally.objects.filter(building=OuterRef("pk"))
            .order_by()
            .values("building")
            .annotate(n=Sum("beds"))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


def building_list(user) -> QuerySet[Building]:
    """The user's buildings with their campus and room and bed counts, in one query."""
    return (
        buildings_for(user)
        .select_related("campus")
        .annotate(room_count=related_count(Room, "building"), bed_count=tallied_beds())
        .order_by("campus__position", "campus__code", "code")
    )


def building_get(user, pk: int) -> Building:
    """One of the user's buildings, or 404 (also for a building that exists but is not
    theirs)."""
    return get_object_or_404(buildings_for(user).select_related("campus"), pk=pk)


def building_rooms(building: Building) -> QuerySet[Room]:
    return building.rooms.annotate(bed_count=Count("beds")).order_by("floor", "number")


def resident_of(user) -> Resident | None:
    """The resident record behind a student's account, if any."""
    return Resident.objects.select_related("campus").filter(user_id=user.pk).first()


def current_stay_of(resident: Resident):
    """The resident's reserved or active stay with its bed, room, building and campus."""
    return (
        Stay.objects.filter(resident=resident, status__in=Stay.CURRENT)
        .select_related("bed__room__building__campus")
        .first()
    )


# --- check-in desk ---


def beds_in(*, building=None, buildings: QuerySet[Building] | None = None) -> QuerySet[Bed]:
    """Beds with their room, building, campus and kit, limited to one building and/or to a set
    of buildings (a caller's scope, used as a subquery)."""
    beds = Bed.objects.select_related("room__building__campus", "kit")
    if building is not None:
        beds = beds.filter(room__building=building)
    if buildings is not None:
        beds = beds.filter(room__building__in=buildings)
    return beds


def beds_free_for(
    resident: Resident,
    beds: QuerySet[Bed],
    *,
    mixed_rooms: bool = True,
    taken_flag: bool = False,
) -> QuerySet[Bed]:
    """The beds of `beds` that are free and fit `resident`, best first, in one query.

    A bed fits when it is on the resident's campus; the room's gender and the building's
    gender policy admit them (mixed admits anyone); the building houses their category (an
    empty list: every category); and the room is a dormitory, or for staff a staff apartment
    (preferred) or a dormitory. In a mixed room nobody is proposed next to someone of another
    gender. Accessible and guest rooms are given out by hand, never proposed, and so are the
    beds of rooms not ready (Room.ready).

    `mixed_rooms=False` leaves mixed rooms out, for beds known to have none: the same beds,
    and without the mixed rooms' condition PostgreSQL walks one building's beds by index
    instead of scanning every bed of the university (1.6 ms instead of 10 at 80,000 beds).

    `taken_flag=True` (PostgreSQL only) tells a free bed by the beds' `taken` column, which a
    trigger keeps from the stays (apartments/tallies.py, "Taken beds"), instead of looking
    for each bed's current stay: the bed found must then be checked against the stays, as
    apartments.locks.first_free_bed_lock does.
    """
    gender = resident.gender
    current = Stay.objects.filter(status__in=Stay.CURRENT)
    other_gender_in_room = current.filter(bed__room=OuterRef("room")).exclude(
        resident__gender=gender
    )
    kinds = [RoomKind.DORMITORY]
    if resident.category == Category.STAFF:
        kinds = [RoomKind.STAFF, RoomKind.DORMITORY]
    room_genders = [gender, GenderPolicy.MIXED] if mixed_rooms else [gender]
    beds = beds.filter(
        room__building__campus_id=resident.campus_id,
        # A room a readiness campaign has not finished (apartments.services.rooms_set_ready)
        # is never proposed; the desk can still give one of its beds by choosing it.
        room__ready=True,
        room__gender__in=room_genders,
        room__building__gender_policy__in=[gender, GenderPolicy.MIXED],
        room__kind__in=kinds,
    )
    if mixed_rooms:
        beds = beds.filter(~Q(room__gender=GenderPolicy.MIXED) | ~Exists(other_gender_in_room))
    if taken_flag:
        # The column is not a model field (see apartments/tallies.py); in the beds' own query
        # its table goes by its name.
        beds = beds.extra(where=['NOT "apartments_bed"."taken"'])
    else:
        beds = beds.filter(~Exists(current.filter(bed=OuterRef("pk"))))
    return (
        # JSON text match, the same on PostgreSQL and SQLite (SQLite has no JSON containment);
        # the quotes keep one category from matching inside another.
        beds.filter(
            Q(room__building__categories=[])
            | Q(room__building__categories__icontains=f'"{resident.category}"')
        ).order_by(
            Case(When(room__kind=RoomKind.STAFF, then=0), default=1),
            "room__building__code",
            "room__floor",
            "room__number",
            "number",
        )
    )


# How many buildings a proposal tries one by one before it searches them all at once.
PROPOSAL_BUILDINGS = 3


def _buildings_with_free_beds(resident: Resident, buildings: QuerySet[Building] | None):
    """The buildings where a free bed for `resident` may be, in the order beds are proposed
    (beds_free_for), each annotated with whether it has mixed rooms: their campus, gender
    policy and categories fit, and their tallies (apartments/tallies.py) count a free bed."""
    free = (
        Building.objects.filter(
            campus_id=resident.campus_id,
            gender_policy__in=[resident.gender, GenderPolicy.MIXED],
        )
        .filter(Q(categories=[]) | Q(categories__icontains=f'"{resident.category}"'))
        .annotate(
            free=Coalesce(
                Subquery(
                    BuildingTally.objects.filter(building=OuterRef("pk"))
                    .order_by()
                    .values("building")
                    .annotate(n=Sum("beds") - Sum("active") - Sum("reserved"))
                    .values("n"),
                    output_field=IntegerField(),
                ),
                0,
            )
        )
        .filter(free__gt=0)
    )
    if buildings is not None:
        free = free.filter(pk__in=buildings.values("pk"))
    mixed = Room.objects.filter(building=OuterRef("pk"), gender=GenderPolicy.MIXED)
    return free.annotate(mixed=Exists(mixed)).order_by("code")


def buildings_with_free_beds_for(
    resident: Resident, *, buildings: QuerySet[Building] | None = None
) -> list[tuple[int, bool]]:
    """The first PROPOSAL_BUILDINGS buildings where a free bed for `resident` may be, as (id,
    has mixed rooms), in one query over a hundred buildings, however many beds and stays.

    A building listed may still have no bed that fits (its free beds are in rooms for the
    other gender, or taken a moment ago): the caller tries the next."""
    return list(
        _buildings_with_free_beds(resident, buildings).values_list("pk", "mixed")[
            :PROPOSAL_BUILDINGS
        ]
    )


def in_first_building_with_free_beds(
    resident: Resident, beds: QuerySet[Bed], *, buildings: QuerySet[Building] | None = None
) -> QuerySet[Bed]:
    """`beds` limited to the first building of buildings_with_free_beds_for, if it has no
    mixed rooms (else none): that building's id is a subquery of the beds' own query, so the
    common case of a proposal is one query. Search them with beds_free_for(mixed_rooms=False)."""
    # The first building's id, or NULL (which matches no bed) when it has mixed rooms.
    first = (
        _buildings_with_free_beds(resident, buildings)
        .annotate(usable=Case(When(mixed=True, then=None), default=F("pk")))
        .values("usable")[:1]
    )
    return beds.filter(room__building_id=Subquery(first))


def desk_counts(building: Building) -> dict[str, int]:
    """The desk's figures in one query: residents checked in at this building today (local
    time) and reservations in it still waiting for their resident."""
    start_of_day = timezone.make_aware(
        datetime.combine(timezone.localdate(), time.min), timezone.get_current_timezone()
    )
    return Stay.objects.filter(bed__room__building=building).aggregate(
        checked_in_today=Count(
            "pk", filter=Q(status=Stay.Status.ACTIVE, checked_in_at__gte=start_of_day)
        ),
        reserved=Count("pk", filter=Q(status=Stay.Status.RESERVED)),
    )


def kit_beds(building: Building, *, bed_id: int | None = None) -> list[Bed]:
    """Every bed of the building (or the one bed `bed_id` of it) with its room, its kit (if
    any) and `kit_result`/`kit_reason`, the result and reason of its latest check: one query."""
    latest = KitCheck.objects.filter(bed=OuterRef("pk")).order_by("-checked_at", "-id")
    beds = Bed.objects.filter(room__building=building)
    if bed_id is not None:
        beds = beds.filter(pk=bed_id)
    return list(
        beds.select_related("room", "kit")
        .annotate(
            kit_result=Subquery(latest.values("result")[:1]),
            kit_reason=Subquery(latest.values("reason")[:1]),
        )
        .order_by("room__floor", "room__number", "number")
    )


def kit_types() -> QuerySet[KitType]:
    return KitType.objects.order_by("code")


DESK_CANDIDATES_MAX = 10


def resident_matches(text: str) -> Q:
    """Residents whose student id, name or the name's pinyin initials (apartments.names) start
    with `text` (stripped, width-normalised): what the staff's search and the desk look for,
    over the prefix indexes of migration 0016. Q(pk__in=[]) for an empty text."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not text:
        return Q(pk__in=[])
    found = Q(student_id__startswith=text) | Q(name__startswith=text)
    if text.upper() != text:
        found |= Q(student_id__startswith=text.upper())
    if re.fullmatch(r"[A-Za-z]{1,20}", text):
        found |= Q(name_initials__startswith=text.lower())
    return found


def current_place_label() -> Subquery:
    """For annotating residents: the bed of their current stay as S01-101-2 (a reservation
    before a stay checked in), or NULL."""
    from django.db.models import CharField, Value
    from django.db.models.functions import Concat

    return Subquery(
        Stay.objects.filter(resident=OuterRef("pk"), status__in=Stay.CURRENT)
        .order_by("-status")
        .values(
            label=Concat(
                "bed__room__building__code",
                Value("-"),
                "bed__room__number",
                Value("-"),
                "bed__number",
                output_field=CharField(),
            )
        )[:1]
    )


def desk_candidates(building: Building, text: str) -> list[tuple[str, str, str]]:
    """Residents of the building's campus a desk may mean by `text` when it is no student id
    (resident_matches), at most DESK_CANDIDATES_MAX, as (student id, name, current place or
    ""). One query."""
    from apartments.models import Resident

    rows = (
        Resident.objects.filter(resident_matches(text), campus_id=building.campus_id)
        .annotate(place=current_place_label())
        .order_by("student_id")
        .values_list("student_id", "name", "place")[:DESK_CANDIDATES_MAX]
    )
    return [(student_id, name, where or "") for student_id, name, where in rows]


# --- For the quality app's surveys (quality reads apartments only here) -----------------------


def move_outs_cleared_between(start, end) -> QuerySet:
    """The move-out requests cleared on the days from `start` to `end` whose resident has a
    portal account (cancelled ones left out)."""
    from datetime import timedelta

    from apartments.models import MoveOutRequest

    tz = timezone.get_current_timezone()
    since = timezone.make_aware(datetime.combine(start, time.min), tz)
    until = timezone.make_aware(datetime.combine(end, time.min), tz) + timedelta(days=1)
    return MoveOutRequest.objects.filter(
        cleared_at__gte=since, cleared_at__lt=until, resident__user__isnull=False
    ).exclude(status=MoveOutRequest.Status.CANCELLED)


def move_outs_cleared_on_rows(day, ids=None) -> list[dict]:
    """{id, user_id, building_id} of the move-outs cleared on `day` (only those of `ids`, if
    given), in id order: whom the move-out follow-up asks."""
    rows = move_outs_cleared_between(day, day)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return [
        {"id": pk, "user_id": user_id, "building_id": building_id}
        for pk, user_id, building_id in rows.order_by("pk").values_list(
            "pk", "resident__user_id", "stay__bed__room__building_id"
        )
    ]


def residents_population() -> QuerySet[Stay]:
    """The stays of the residents checked in now who have a portal account: the population of
    a semester survey of the residents (walked in batches by id)."""
    return Stay.objects.filter(status=Stay.Status.ACTIVE, resident__user__isnull=False)


def residents_population_rows(stay_ids) -> list[tuple[int, int]]:
    """(user id, building id) of the stays `stay_ids` of residents_population(), one query."""
    return list(
        residents_population()
        .filter(pk__in=stay_ids)
        .order_by("pk")
        .values_list("resident__user_id", "bed__room__building_id")
    )


def building_labels(ids) -> dict[int, str]:
    """{id: "S01 name"} of the buildings `ids`, one query."""
    return {b.pk: f"{b.code} {b.display_name}" for b in Building.objects.filter(pk__in=ids)}


def buildings_all() -> list[Building]:
    """Every building, with its campus, in campus and code order (a semester survey's sample
    is set per building)."""
    return list(Building.objects.select_related("campus").order_by("campus__position", "code"))


# --- the room grid: each room's beds as reserved, in, free -------------------------------------


@dataclass(frozen=True)
class BedCell:
    pk: int
    number: int
    state: str  # one of BED_STATES
    resident_name: str  # of the current stay, for the staff who see the building


@dataclass(frozen=True)
class RoomBeds:
    pk: int
    number: str
    floor: int
    beds: list[BedCell]


# "not_ready": a free bed in a room not ready for residents (Room.ready, kept by the
# maintenance readiness campaign: being repaired, cleaned…); bed_grid reads it in the same
# query. The template and its legend show the state.
BED_STATES = ("in", "reserved", "free", "not_ready")


def bed_state(current_status: str | None, ready: bool = True) -> str:
    if current_status == Stay.Status.ACTIVE:
        return "in"
    if current_status == Stay.Status.RESERVED:
        return "reserved"
    return "free" if ready else "not_ready"


def bed_grid(building: Building) -> list[RoomBeds]:
    """The building's rooms by floor and number, each with its beds and their state: one
    query (the beds with their room and the current stay's status and resident, if any)."""
    current = Stay.objects.filter(bed=OuterRef("pk"), status__in=Stay.CURRENT)
    beds = (
        Bed.objects.filter(room__building=building)
        .select_related("room")
        .annotate(
            current_status=Subquery(current.values("status")[:1]),
            current_name=Subquery(current.values("resident__name")[:1]),
        )
        .order_by("room__floor", "room__number", "number")
    )
    rooms: dict[int, RoomBeds] = {}
    for bed in beds:
        room = rooms.get(bed.room_id)
        if room is None:
            room = rooms[bed.room_id] = RoomBeds(
                pk=bed.room_id, number=bed.room.number, floor=bed.room.floor, beds=[]
            )
        room.beds.append(
            BedCell(
                pk=bed.pk,
                number=bed.number,
                state=bed_state(bed.current_status, bed.room.ready),
                resident_name=bed.current_name or "",
            )
        )
    return list(rooms.values())


def rooms_holding_asset_types(type_ids, campus_ids) -> list[tuple[int, int, int, int]]:
    """(asset type, room, building, campus) for every room of the campuses `campus_ids` that
    holds an asset of a type in `type_ids` (not missing or retired), once per room and type:
    one query however many rooms (the preventive schedules for an asset type,
    maintenance.preventive)."""
    return list(
        Asset.objects.filter(
            asset_type_id__in=type_ids,
            room__isnull=False,
            room__building__campus_id__in=campus_ids,
        )
        .exclude(condition__in=[AssetCondition.MISSING, AssetCondition.RETIRED])
        .order_by("asset_type_id", "room_id")
        .values_list("asset_type_id", "room_id", "room__building_id", "room__building__campus_id")
        .distinct()
    )
