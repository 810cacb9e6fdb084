"""Read-only lists for managers (buildings, rooms, beds, residents), the move-in summary,
and a resident's own stay. Every list is scoped to the caller and paginated."""

import django_filters
from django.db.models import Exists, OuterRef, Prefetch, Q, Subquery
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from apartments import dashboard
from apartments.dashboard import stays_in_room_count
from apartments.models import Bed, Building, Category, Resident, Room, Stay
from apartments.selectors import BUILDING_VIEWERS, building_list, buildings_for, related_count
from logistics.access import HasRole
from logistics.api.schema import ApiErrorSerializer
from logistics.models import Campus, Role

ManagerOnly = HasRole.of(*BUILDING_VIEWERS)


# --- Serializers --------------------------------------------------------------------------


class BuildingListSerializer(serializers.ModelSerializer):
    campus = serializers.CharField(source="campus.code")
    name = serializers.CharField(source="display_name")
    rooms = serializers.IntegerField(source="room_count")
    beds = serializers.IntegerField(source="bed_count")

    class Meta:
        model = Building
        fields = ["id", "campus", "code", "name", "gender_policy", "floors", "rooms", "beds"]


class RoomListSerializer(serializers.ModelSerializer):
    building = serializers.CharField(source="building.code")
    campus = serializers.CharField(source="building.campus.code")
    beds = serializers.IntegerField(source="bed_count")
    occupied = serializers.IntegerField(source="occupied_count")

    class Meta:
        model = Room
        fields = [
            "id",
            "campus",
            "building",
            "floor",
            "number",
            "kind",
            "gender",
            "capacity",
            "beds",
            "occupied",
        ]


class BedListSerializer(serializers.ModelSerializer):
    building = serializers.CharField(source="room.building.code")
    room = serializers.CharField(source="room.number")
    room_id = serializers.IntegerField()
    status = serializers.SerializerMethodField()

    class Meta:
        model = Bed
        fields = ["id", "building", "room_id", "room", "number", "status"]

    def get_status(self, bed) -> str:
        """free, reserved or active."""
        return bed.current_status or "free"


class StaySerializer(serializers.ModelSerializer):
    campus = serializers.CharField(source="bed.room.building.campus.code")
    building = serializers.CharField(source="bed.room.building.code")
    building_name = serializers.CharField(source="bed.room.building.display_name")
    room = serializers.CharField(source="bed.room.number")
    bed = serializers.IntegerField(source="bed.number")
    bed_id = serializers.IntegerField()

    class Meta:
        model = Stay
        fields = [
            "id",
            "status",
            "campus",
            "building",
            "building_name",
            "room",
            "bed",
            "bed_id",
            "reserved_at",
            "checked_in_at",
            "key_issued",
            "kit_issued",
        ]


class ResidentListSerializer(serializers.ModelSerializer):
    campus = serializers.CharField(source="campus.code")
    stay = serializers.SerializerMethodField()

    class Meta:
        model = Resident
        fields = [
            "id",
            "student_id",
            "name",
            "gender",
            "category",
            "campus",
            "college",
            "class_name",
            "phone",
            "stay",
        ]

    @extend_schema_field(StaySerializer(allow_null=True))
    def get_stay(self, resident) -> dict | None:
        stays = resident.current_stays
        return StaySerializer(stays[0]).data if stays else None


# --- Lists ---------------------------------------------------------------------------------


def _current_status():
    """The status of a bed's current stay (reserved/active), or None when free."""
    return Subquery(
        Stay.objects.filter(bed=OuterRef("pk"), status__in=Stay.CURRENT).values("status")[:1]
    )


class BuildingFilter(django_filters.FilterSet):
    campus = django_filters.CharFilter(field_name="campus__code")

    class Meta:
        model = Building
        fields = ["campus", "gender_policy"]


class BuildingList(generics.ListAPIView):
    """The caller's buildings, with room and bed counts."""

    permission_classes = [ManagerOnly]
    serializer_class = BuildingListSerializer
    filterset_class = BuildingFilter

    def get_queryset(self):
        return building_list(self.request.user)


class RoomFilter(django_filters.FilterSet):
    building = django_filters.NumberFilter(field_name="building")
    campus = django_filters.CharFilter(field_name="building__campus__code")

    class Meta:
        model = Room
        fields = ["building", "campus", "floor", "kind", "gender"]


class RoomList(generics.ListAPIView):
    """Rooms of the caller's buildings, with beds and beds taken (reserved or occupied)."""

    permission_classes = [ManagerOnly]
    serializer_class = RoomListSerializer
    filterset_class = RoomFilter

    def get_queryset(self):
        taken = Stay.objects.filter(status__in=Stay.CURRENT)
        return (
            Room.objects.filter(building__in=buildings_for(self.request.user))
            .select_related("building__campus")
            .annotate(
                bed_count=related_count(Bed, "room"), occupied_count=stays_in_room_count(taken)
            )
            .order_by("building__campus__code", "building__code", "floor", "number")
        )


class BedFilter(django_filters.FilterSet):
    building = django_filters.NumberFilter(field_name="room__building")
    room = django_filters.NumberFilter(field_name="room")
    free = django_filters.BooleanFilter(method="filter_free", label="free")

    class Meta:
        model = Bed
        fields = ["building", "room", "free"]

    def filter_free(self, queryset, name, value):
        return queryset.filter(current_status__isnull=value)


class BedList(generics.ListAPIView):
    """Beds of the caller's buildings with their status: free, reserved or active."""

    permission_classes = [ManagerOnly]
    serializer_class = BedListSerializer
    filterset_class = BedFilter

    def get_queryset(self):
        return (
            Bed.objects.filter(room__building__in=buildings_for(self.request.user))
            .select_related("room__building")
            .annotate(current_status=_current_status())
            .order_by("room__building__code", "room__floor", "room__number", "number")
        )


class ResidentFilter(django_filters.FilterSet):
    campus = django_filters.CharFilter(field_name="campus__code")
    category = django_filters.ChoiceFilter(choices=Category.choices)
    checked_in = django_filters.BooleanFilter(method="filter_checked_in")
    search = django_filters.CharFilter(method="filter_search", max_length=100)

    class Meta:
        model = Resident
        fields = ["campus", "category", "gender", "checked_in", "search"]

    def filter_checked_in(self, queryset, name, value):
        active = Exists(Stay.objects.filter(resident=OuterRef("pk"), status=Stay.Status.ACTIVE))
        return queryset.filter(active if value else ~active)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(student_id__icontains=value) | Q(name__icontains=value))


class ResidentList(generics.ListAPIView):
    """Residents the caller is responsible for, each with their current stay."""

    permission_classes = [ManagerOnly]
    serializer_class = ResidentListSerializer
    filterset_class = ResidentFilter

    def get_queryset(self):
        return (
            dashboard.residents_for(self.request.user)
            .select_related("campus")
            .prefetch_related(
                Prefetch(
                    "stays",
                    queryset=Stay.objects.filter(status__in=Stay.CURRENT).select_related(
                        "bed__room__building__campus"
                    ),
                    to_attr="current_stays",
                )
            )
            .order_by("student_id")
        )


# --- The move-in summary (CONTRACT.md) ----------------------------------------------------

SummarySerializer = inline_serializer(
    "MoveInSummary",
    {
        "expected": serializers.IntegerField(),
        "checked_in": serializers.IntegerField(),
        "remaining": serializers.IntegerField(),
        "by_campus": serializers.DictField(child=serializers.IntegerField()),
        "by_category": serializers.DictField(child=serializers.IntegerField()),
        "by_campus_and_category": serializers.DictField(
            child=serializers.DictField(child=serializers.IntegerField())
        ),
    },
)


class MoveInSummary(APIView):
    """Counts of residents checked in, by campus and category, for the caller's scope."""

    permission_classes = [ManagerOnly]

    @extend_schema(
        parameters=[
            OpenApiParameter("campus", OpenApiTypes.STR, description="a campus code"),
        ],
        responses={
            200: SummarySerializer,
            400: OpenApiResponse(
                ApiErrorSerializer, description="An unknown campus code, or `campus` repeated."
            ),
        },
    )
    def get(self, request):
        campus = None
        codes = request.query_params.getlist("campus")
        if len(codes) > 1:
            raise ValidationError({"campus": [_("Give this parameter once.")]})
        code = codes[0] if codes else None
        if code:
            campus = Campus.objects.filter(code=code).first()
            if campus is None:
                raise ValidationError({"campus": [_("Unknown campus.")]})
        return Response(dashboard.move_in_summary(request.user, campus=campus).as_contract())


# --- A resident's own stay ----------------------------------------------------------------


class MyStay(APIView):
    """The caller's own current stay (reserved or checked in); 404 when they have none."""

    permission_classes = [HasRole.of(Role.STUDENT)]

    @extend_schema(
        responses={
            200: StaySerializer,
            404: OpenApiResponse(ApiErrorSerializer, description="The caller has no room yet."),
        }
    )
    def get(self, request):
        stay = (
            Stay.objects.filter(resident__user=request.user, status__in=Stay.CURRENT)
            .select_related("bed__room__building__campus")
            .first()
        )
        if stay is None:
            raise NotFound(_("You have no room yet."))
        return Response(StaySerializer(stay).data)
