"""Late returns (晚归) for the mobile app:

- `POST /api/v1/late-returns/` `{"student_id", "building"?, "returned_at"?, "reason"?}` by a
  building's dorm manager or shift lead: 201 with the record; 404 for an unknown student id, a
  resident who does not live in the caller's buildings (or in the given one) or a building the
  caller does not work in; 409 when that resident's late return for the night is recorded
  already; 400 for bad input;
- `GET /api/v1/late-returns/?night=&building=&student_id=` lists those of the buildings the
  caller sees (a resident their own), newest first, paginated.
"""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from apartments import late_returns
from apartments.api.serializers import CheckInErrorSerializer, CheckInValidationErrorSerializer
from apartments.models import Building, LateReturn
from logistics.api.strict import StrictSerializer

TAGS = ["safety"]
BIGINT_MAX = 2**63 - 1


class LateReturnCreateSerializer(StrictSerializer):
    student_id = serializers.CharField(
        max_length=30, label=_("student id"), help_text=_("The resident's student id.")
    )
    building = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=BIGINT_MAX,
        label=_("building"),
        help_text=_("A building's id; without it, the resident's own building."),
    )
    returned_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        label=_("returned at"),
        help_text=_("When the resident came back; now when left out."),
    )
    reason = serializers.CharField(
        max_length=late_returns.REASON_MAX_LENGTH,
        required=False,
        allow_blank=True,
        label=_("reason"),
    )


class LateReturnSerializer(serializers.ModelSerializer):
    student_id = serializers.CharField(source="resident.student_id")
    name = serializers.CharField(source="resident.name")
    building = serializers.IntegerField(source="building_id")
    building_code = serializers.CharField(source="building.code")
    recorded_by = serializers.SerializerMethodField()

    class Meta:
        model = LateReturn
        fields = [
            "id",
            "student_id",
            "name",
            "building",
            "building_code",
            "night",
            "returned_at",
            "reason",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields

    def get_recorded_by(self, record) -> str | None:
        """The recorder's username (null once their account is gone)."""
        return record.recorded_by.username if record.recorded_by else None


class LateReturnFilter(django_filters.FilterSet):
    night = django_filters.DateFilter(field_name="night", help_text="YYYY-MM-DD.")
    building = django_filters.NumberFilter(field_name="building", help_text="A building's id.")
    student_id = django_filters.CharFilter(
        field_name="resident__student_id", help_text="A resident's student id."
    )

    class Meta:
        model = LateReturn
        fields = ["night", "building", "student_id"]


@extend_schema_view(
    get=extend_schema(
        operation_id="late_returns_list",
        summary="List late returns",
        description="The late returns of the buildings the caller sees (a dorm manager or "
        "shift lead their buildings, heads and auditors their campuses, administrators all); "
        "a resident sees their own. Newest night first.",
        tags=TAGS,
    ),
)
class LateReturnListCreate(generics.ListAPIView):
    serializer_class = LateReturnSerializer
    filterset_class = LateReturnFilter

    def get_queryset(self):
        return late_returns.late_returns_for(self.request.user).order_by("-night", "-returned_at")

    @extend_schema(
        operation_id="late_returns_create",
        summary="Record a late return",
        description=(
            "Records that the resident with `student_id` came back late (by a dorm manager or "
            "shift lead of the resident's building, or an administrator). The night is the "
            "evening's date: a return before SAFETY_NIGHT_ENDS (06:00) belongs to the night "
            "before. 404 with `code` `resident_not_found`, `not_your_resident` or "
            "`building_not_found`; 409 with `code` `already_recorded` for a second record of "
            "that resident and night."
        ),
        request=LateReturnCreateSerializer,
        responses={
            201: LateReturnSerializer,
            400: OpenApiResponse(CheckInValidationErrorSerializer, description="Bad input."),
            404: OpenApiResponse(CheckInErrorSerializer, description="Not found or not yours."),
            409: OpenApiResponse(CheckInErrorSerializer, description="Recorded already."),
        },
        tags=TAGS,
    )
    def post(self, request):
        data = LateReturnCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        building = None
        try:
            if values.get("building") is not None:
                building = Building.objects.filter(pk=values["building"]).first()
                if building is None:
                    raise late_returns.NotYourBuilding()
            record = late_returns.late_return_record(
                actor=request.user,
                student_id=values["student_id"],
                building=building,
                returned_at=values.get("returned_at"),
                reason=values.get("reason", ""),
            )
        except late_returns.LateReturnInvalid as error:
            raise ValidationError({error.field: [error.message]}) from error
        except late_returns.LateReturnError as error:
            return Response({"detail": error.message, "code": error.code}, status=error.status_code)
        record = LateReturn.objects.select_related("building", "resident", "recorded_by").get(
            pk=record.pk
        )
        return Response(LateReturnSerializer(record).data, status=status.HTTP_201_CREATED)
