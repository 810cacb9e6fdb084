"""Safety rounds and hazards for the mobile app (scoped like the pages, apartments.rounds):

- `GET /api/v1/safety-rounds/?date=&building=&kind=` the rounds of the buildings the caller
  sees, each with its rooms;
- `POST /api/v1/safety-rounds/{id}/rooms/{room_id}/` records a room of a round (its building's
  staff): `{"state": "ok"}` or `{"state": "findings", "kind", "appliance", "note"}` (JSON, or
  multipart with a `photo`), `residents_present` optional: 200; a room recorded already or a
  finished round 409; not the caller's round or room 404;
- `GET /api/v1/hazards/?building=&state=&overdue=` the hazards the caller sees (a resident,
  their room's);
- `POST /api/v1/hazards/{id}/rectify/` (a resident of the room or the staff; `note` and/or a
  multipart `photo`), `…/verify/`, `…/reopen/` (the building's staff; reopen needs a `note`):
  200 with the hazard; a step its state does not allow 409.
"""

from collections.abc import Callable

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from apartments import rounds
from apartments.api.serializers import CheckInValidationErrorSerializer
from apartments.models import (
    ApplianceKind,
    Hazard,
    HazardKind,
    RoundKind,
    RoundRoom,
    SafetyRound,
)
from logistics.api.strict import StrictSerializer
from logistics.uploads import PhotoUploadField, SignedPhotoUrlField

TAGS = ["safety"]


class RoundErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=_("A readable message, in the caller's language."))
    code = serializers.CharField(
        required=False,
        help_text=_("not_found (404), wrong_state (409)."),
    )


ERRORS = {
    400: OpenApiResponse(CheckInValidationErrorSerializer, description="Bad input."),
    404: OpenApiResponse(RoundErrorSerializer, description="Not the caller's."),
    409: OpenApiResponse(
        RoundErrorSerializer, description="Not in a state that allows it (`wrong_state`)."
    ),
}


def _error(error: rounds.RoundError) -> Response:
    if isinstance(error, rounds.RoundInvalid):
        raise ValidationError({error.field: [error.message]})
    return Response({"detail": error.message, "code": error.code}, status=error.status_code)


def _not_found() -> Response:
    return _error(rounds.NotFound())


# --- Rounds ----------------------------------------------------------------------------------


class RoundRoomSerializer(serializers.ModelSerializer):
    room = serializers.IntegerField(source="room_id")
    number = serializers.CharField(source="room.number")
    floor = serializers.IntegerField(source="room.floor")
    checked_by = serializers.SerializerMethodField()
    hazards = serializers.SerializerMethodField()

    class Meta:
        model = RoundRoom
        fields = [
            "id",
            "room",
            "number",
            "floor",
            "state",
            "recheck",
            "checked_by",
            "checked_at",
            "residents_present",
            "hazards",
        ]
        read_only_fields = fields

    def get_checked_by(self, row) -> str | None:
        """The username of who recorded the room (null while it is to check)."""
        return row.checked_by.username if row.checked_by else None

    def get_hazards(self, row) -> list[int]:
        """The ids of the room's hazards not closed yet (to re-check)."""
        return [h.pk for h in getattr(row.room, "unclosed_hazards", [])]


class SafetyRoundSerializer(serializers.ModelSerializer):
    building = serializers.IntegerField(source="building_id")
    building_code = serializers.CharField(source="building.code")
    rooms = RoundRoomSerializer(many=True)

    class Meta:
        model = SafetyRound
        fields = ["id", "building", "building_code", "date", "kind", "finished_at", "rooms"]
        read_only_fields = fields


class SafetyRoundFilter(django_filters.FilterSet):
    date = django_filters.DateFilter(field_name="date", help_text="YYYY-MM-DD.")
    building = django_filters.NumberFilter(field_name="building", help_text="A building's id.")
    kind = django_filters.ChoiceFilter(field_name="kind", choices=RoundKind.choices)

    class Meta:
        model = SafetyRound
        fields = ["date", "building", "kind"]


@extend_schema_view(
    get=extend_schema(
        operation_id="safety_rounds_list",
        summary="List safety rounds",
        description="The day and night rounds of the buildings the caller sees (a dorm "
        "manager or shift lead their buildings, heads and auditors their campuses, "
        "administrators all; residents none), newest first, each with its rooms in walking "
        "order. Three queries whatever the number of rooms.",
        tags=TAGS,
    ),
)
class SafetyRoundList(generics.ListAPIView):
    serializer_class = SafetyRoundSerializer
    filterset_class = SafetyRoundFilter

    def get_queryset(self):
        return (
            rounds.rounds_for(self.request.user)
            .prefetch_related(rounds.round_rooms_prefetch())
            .order_by("-date", "building_id", "kind")
        )


class RoundRoomRecordSerializer(StrictSerializer):
    state = serializers.ChoiceField(
        choices=[("ok", "ok"), ("findings", "findings")],
        label=_("state"),
        help_text=_("ok: all in order; findings: one hazard, described by kind and the rest."),
    )
    residents_present = serializers.IntegerField(
        min_value=0,
        max_value=rounds.RESIDENTS_PRESENT_MAX,
        required=False,
        allow_null=True,
        label=_("residents present"),
    )
    kind = serializers.ChoiceField(
        choices=HazardKind.choices,
        required=False,
        label=_("kind"),
        help_text=_("The kind of hazard; required with findings."),
    )
    appliance = serializers.ChoiceField(
        choices=ApplianceKind.choices,
        required=False,
        label=_("appliance"),
        help_text=_("Required for a banned appliance; ignored otherwise."),
    )
    note = serializers.CharField(
        max_length=rounds.NOTE_MAX_LENGTH, required=False, allow_blank=True, label=_("note")
    )


class RoundRoomRecordMultipartSerializer(RoundRoomRecordSerializer):
    photo = PhotoUploadField(required=False, label=_("photo"))


class RoundRoomRecordResultSerializer(RoundRoomSerializer):
    hazard = serializers.SerializerMethodField()

    class Meta(RoundRoomSerializer.Meta):
        fields = [*RoundRoomSerializer.Meta.fields, "hazard"]
        read_only_fields = fields

    def get_hazard(self, row) -> int | None:
        """The id of the hazard this record created (null for a room in order)."""
        hazard = self.context.get("hazard")
        return hazard.pk if hazard else None


class RoundRoomRecord(APIView):
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        operation_id="safety_rounds_rooms_record",
        summary="Record a room of a round",
        description=(
            "By the building's dorm manager or shift lead: the room is in order, or has one "
            "finding (a hazard with a deadline set by its kind). JSON, or multipart/form-data "
            "with a `photo`. 400 for findings without a `kind`, or a banned appliance without "
            "its `appliance` (what makes the body right depends on `state` and `kind`); 404 "
            "when the round is not of a building the caller works in or the room is not on "
            "it; 409 when the room has been recorded already (a second tap records nothing) "
            "or the round is finished."
        ),
        request={
            "application/json": RoundRoomRecordSerializer,
            "multipart/form-data": RoundRoomRecordMultipartSerializer,
        },
        responses={200: RoundRoomRecordResultSerializer, **ERRORS},
        tags=TAGS,
    )
    def post(self, request, pk: int, room_id: int):
        target = (
            RoundRoom.objects.select_related("round", "room")
            .filter(
                round_id=pk,
                room_id=room_id,
                round__building__in=rounds.round_buildings_for(request.user),
            )
            .first()
        )
        if target is None:
            return _not_found()
        multipart = request.content_type.startswith("multipart/")
        serializer_class = (
            RoundRoomRecordMultipartSerializer if multipart else RoundRoomRecordSerializer
        )
        data = serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        ok = values["state"] == "ok"
        try:
            recorded, hazard = rounds.round_room_record(
                actor=request.user,
                round_room=target,
                ok=ok,
                residents_present=values.get("residents_present"),
                finding=None
                if ok or "kind" not in values
                else rounds.Finding(
                    kind=values["kind"],
                    appliance=values.get("appliance", ""),
                    note=values.get("note", ""),
                    photo=values.get("photo"),
                ),
            )
        except rounds.RoundError as error:
            return _error(error)
        recorded = RoundRoom.objects.select_related("room", "checked_by").get(pk=recorded.pk)
        recorded.room.unclosed_hazards = list(
            Hazard.objects.filter(room_id=recorded.room_id, state__in=Hazard.UNCLOSED)
        )
        return Response(RoundRoomRecordResultSerializer(recorded, context={"hazard": hazard}).data)


# --- Hazards ---------------------------------------------------------------------------------


class HazardSerializer(serializers.ModelSerializer):
    building = serializers.IntegerField(source="room.building_id")
    building_code = serializers.CharField(source="room.building.code")
    room = serializers.IntegerField(source="room_id")
    room_number = serializers.CharField(source="room.number")
    appliance = serializers.CharField(
        help_text="kettle, heater, hot_plate, hair_straightener or other for a banned "
        "appliance; empty for the other kinds."
    )
    overdue = serializers.SerializerMethodField()
    found_by = serializers.SerializerMethodField()
    photo = SignedPhotoUrlField(source="photo_id", allow_null=True)
    rectification_photo = SignedPhotoUrlField(source="rectification_photo_id", allow_null=True)

    class Meta:
        model = Hazard
        fields = [
            "id",
            "building",
            "building_code",
            "room",
            "room_number",
            "kind",
            "appliance",
            "note",
            "photo",
            "state",
            "deadline",
            "overdue",
            "found_by",
            "found_at",
            "rectified_at",
            "rectification_note",
            "rectification_photo",
            "verified_at",
            "reopened_count",
        ]
        read_only_fields = fields

    def get_overdue(self, hazard) -> bool:
        """Still to fix after its deadline."""
        return rounds.is_overdue(hazard, self.context.get("today"))

    def get_found_by(self, hazard) -> str | None:
        return hazard.found_by.username if hazard.found_by else None


class HazardFilter(django_filters.FilterSet):
    building = django_filters.NumberFilter(
        field_name="room__building", help_text="A building's id."
    )
    state = django_filters.ChoiceFilter(field_name="state", choices=Hazard.State.choices)
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", help_text="true: only hazards still to fix past their deadline."
    )

    class Meta:
        model = Hazard
        fields = ["building", "state", "overdue"]

    def filter_overdue(self, queryset, name, value):
        if value:
            return queryset.filter(rounds.overdue_q())
        return queryset


@extend_schema_view(
    get=extend_schema(
        operation_id="hazards_list",
        summary="List safety hazards",
        description="The hazards the caller sees (a building's staff its hazards, heads and "
        "auditors their campuses', a resident those of the room they live in), most urgent "
        "first.",
        tags=TAGS,
    ),
)
class HazardList(generics.ListAPIView):
    serializer_class = HazardSerializer
    filterset_class = HazardFilter

    def get_queryset(self):
        return rounds.hazards_for(self.request.user).order_by("deadline", "-found_at", "pk")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}


class NoteSerializer(StrictSerializer):
    note = serializers.CharField(
        max_length=rounds.NOTE_MAX_LENGTH,
        required=False,
        default="",
        allow_blank=True,
        label=_("note"),
    )


class NotePhotoSerializer(NoteSerializer):
    photo = PhotoUploadField(required=False, label=_("photo"))


class _HazardAction(APIView):
    """One step of a hazard: `service` (of apartments.rounds) is called with the caller, the
    hazard and the validated body (`note`, and a `photo` where the step takes one)."""

    parser_classes = [JSONParser]
    service: Callable[..., Hazard]

    def post(self, request, pk: int):
        hazard = rounds.hazards_for(request.user).filter(pk=pk).first()
        if hazard is None:
            return _not_found()
        multipart = request.content_type.startswith("multipart/")
        data = (NotePhotoSerializer if multipart else NoteSerializer)(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            self.service(actor=request.user, hazard=hazard, **data.validated_data)
        except rounds.RoundError as error:
            return _error(error)
        hazard = rounds.hazards_for(request.user).get(pk=pk)
        return Response(HazardSerializer(hazard, context={"request": request}).data)


class HazardRectify(_HazardAction):
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        operation_id="hazards_rectify",
        summary="Mark a hazard rectified",
        description="By a resident of the hazard's room or the building's staff, with a "
        "`note` on what was done and/or (multipart) a `photo`; the staff then verify it. 400 "
        "with neither a note nor a photo; 404 for a hazard the caller does not see or may "
        "not rectify; 409 unless it is open or reopened.",
        request={"application/json": NoteSerializer, "multipart/form-data": NotePhotoSerializer},
        responses={200: HazardSerializer, **ERRORS},
        tags=TAGS,
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    service = staticmethod(rounds.hazard_rectify)


class HazardVerify(_HazardAction):
    @extend_schema(
        operation_id="hazards_verify",
        summary="Verify a rectified hazard",
        description="By the building's staff on a re-check: the hazard is gone and closed. "
        "404 for anyone else; 409 unless it is rectified.",
        request=NoteSerializer,
        responses={200: HazardSerializer, **ERRORS},
        tags=TAGS,
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    service = staticmethod(rounds.hazard_verify)


class HazardReopen(_HazardAction):
    @extend_schema(
        operation_id="hazards_reopen",
        summary="Reopen a rectified hazard",
        description="By the building's staff when the re-check finds it still there, with a "
        "`note` (400 without one); it gets a new deadline. 404 for anyone else; 409 unless "
        "it is rectified.",
        request=NoteSerializer,
        responses={200: HazardSerializer, **ERRORS},
        tags=TAGS,
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    service = staticmethod(rounds.hazard_reopen)
