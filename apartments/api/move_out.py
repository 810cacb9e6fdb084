"""Move-out requests (CONTRACT.md "Residents themselves"):

- `POST /api/v1/move-out-requests/` `{"planned_date", "reason"}` files the caller's request;
- `GET /api/v1/move-out-requests/` and `/{id}/` show the caller's own (staff: those of the
  buildings they see); any other id answers 404.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from apartments import move_out
from apartments.api.serializers import CheckInErrorSerializer, CheckInValidationErrorSerializer
from apartments.models import MoveOutReason, MoveOutRequest
from apartments.selectors import BUILDING_VIEWERS
from logistics.access import HasRole
from logistics.api.strict import StrictSerializer
from logistics.models import Role

Readers = HasRole.of(Role.STUDENT, *BUILDING_VIEWERS)
Residents = HasRole.of(Role.STUDENT)


class MoveOutRequestCreateSerializer(StrictSerializer):
    planned_date = serializers.DateField(
        label=_("planned date"), help_text=_("YYYY-MM-DD; from today to a year ahead.")
    )
    reason = serializers.ChoiceField(choices=MoveOutReason.choices, label=_("reason"))
    note = serializers.CharField(
        max_length=move_out.NOTE_MAX_LENGTH, required=False, allow_blank=True, label=_("note")
    )

    def validate_planned_date(self, value):
        problem = move_out.planned_date_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        return value


class MoveOutRequestSerializer(serializers.ModelSerializer):
    student_id = serializers.CharField(source="resident.student_id")
    name = serializers.CharField(source="resident.name")
    campus = serializers.CharField(source="stay.bed.room.building.campus.code")
    building = serializers.CharField(source="stay.bed.room.building.code")
    building_name = serializers.CharField(source="stay.bed.room.building.display_name")
    room = serializers.CharField(source="stay.bed.room.number")
    bed = serializers.IntegerField(source="stay.bed.number")

    class Meta:
        model = MoveOutRequest
        fields = [
            "id",
            "student_id",
            "name",
            "planned_date",
            "reason",
            "note",
            "status",
            "inspection_at",
            "campus",
            "building",
            "building_name",
            "room",
            "bed",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


@extend_schema_view(
    get=extend_schema(
        operation_id="move_out_requests_list",
        summary="List move-out requests",
        description="A resident's own requests, newest first; staff see those filed from the "
        "buildings they look after.",
        tags=["move-out"],
    ),
)
class MoveOutRequestListCreate(generics.ListAPIView):
    serializer_class = MoveOutRequestSerializer

    def get_permissions(self):
        return [Residents()] if self.request.method == "POST" else [Readers()]

    def get_queryset(self):
        return move_out.requests_for(self.request.user).order_by("-created_at", "-id")

    @extend_schema(
        operation_id="move_out_requests_create",
        summary="File a move-out request",
        description=(
            "Files the caller's move-out request from their active stay. 400 for a date in the "
            "past or more than a year ahead, or an unknown reason; 409 with a `code` when the "
            "caller has a request under way already (`already_open`) or is not checked in "
            "anywhere (`no_active_stay`)."
        ),
        request=MoveOutRequestCreateSerializer,
        responses={
            201: MoveOutRequestSerializer,
            400: OpenApiResponse(CheckInValidationErrorSerializer, description="Bad input."),
            409: OpenApiResponse(
                CheckInErrorSerializer,
                description="A request is already under way, or no active stay.",
            ),
        },
        tags=["move-out"],
    )
    def post(self, request):
        data = MoveOutRequestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        resident = move_out.resident_of(request.user)
        if resident is None:
            error = move_out.NoActiveStay()
            return Response({"detail": error.message, "code": error.code}, status=409)
        try:
            filed = move_out.move_out_file(
                actor=request.user,
                resident=resident,
                planned_date=values["planned_date"],
                reason=values["reason"],
                note=values.get("note", ""),
            )
        except move_out.MoveOutInvalid as error:
            raise ValidationError({error.field: [error.message]}) from error
        except move_out.MoveOutError as error:
            return Response({"detail": error.message, "code": error.code}, status=error.status_code)
        filed = move_out.requests_for(request.user).get(pk=filed.pk)
        return Response(MoveOutRequestSerializer(filed).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        operation_id="move_out_requests_retrieve",
        summary="One move-out request",
        description="404 for a request the caller may not see, as for one that does not exist.",
        tags=["move-out"],
    ),
)
class MoveOutRequestDetail(generics.RetrieveAPIView):
    permission_classes = [Readers]
    serializer_class = MoveOutRequestSerializer

    def get_queryset(self):
        return move_out.requests_for(self.request.user)
