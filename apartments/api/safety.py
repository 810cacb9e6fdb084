"""Zero reports (CONTRACT.md "Dorm safety"):

- `POST /api/v1/zero-reports/` `{"building", "date", "nothing_to_report", "note"}` files a
  building's report for a night: 201; a second for that building and night 409; a building
  the caller does not work in 404 (as one that does not exist); a night still to come 400;
- `GET /api/v1/zero-reports/?date=` lists those of the buildings the caller sees, paginated.
"""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from apartments import safety
from apartments.api.serializers import CheckInErrorSerializer, CheckInValidationErrorSerializer
from apartments.models import Building, ZeroReport
from logistics.api.strict import StrictSerializer

TAGS = ["safety"]
BIGINT_MAX = 2**63 - 1


class ZeroReportCreateSerializer(StrictSerializer):
    building = serializers.IntegerField(
        min_value=1, max_value=BIGINT_MAX, label=_("building"), help_text=_("A building's id.")
    )
    date = serializers.DateField(
        label=_("night of"), help_text=_("YYYY-MM-DD: the night reported, today or before.")
    )
    nothing_to_report = serializers.BooleanField(label=_("nothing to report"))
    note = serializers.CharField(
        max_length=safety.NOTE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        label=_("note"),
        help_text=_("What happened; required when nothing_to_report is false."),
    )


class ZeroReportSerializer(serializers.ModelSerializer):
    building = serializers.IntegerField(source="building_id")
    building_code = serializers.CharField(source="building.code")
    campus = serializers.IntegerField(source="building.campus_id")
    filed_by = serializers.SerializerMethodField()

    class Meta:
        model = ZeroReport
        fields = [
            "id",
            "building",
            "building_code",
            "campus",
            "date",
            "nothing_to_report",
            "note",
            "late_returns",
            "hazards_found",
            "filed_by",
            "filed_at",
        ]
        read_only_fields = fields

    def get_filed_by(self, report) -> str | None:
        """The filer's username (null once their account is gone)."""
        return report.filed_by.username if report.filed_by else None


class ZeroReportFilter(django_filters.FilterSet):
    date = django_filters.DateFilter(field_name="date", help_text="YYYY-MM-DD.")
    building = django_filters.NumberFilter(field_name="building", help_text="A building's id.")

    class Meta:
        model = ZeroReport
        fields = ["date", "building"]


@extend_schema_view(
    get=extend_schema(
        operation_id="zero_reports_list",
        summary="List zero reports",
        description="The zero reports of the buildings the caller sees (a dorm manager or "
        "shift lead their buildings, heads and auditors their campuses, administrators all; "
        "residents none), newest night first.",
        tags=TAGS,
    ),
)
class ZeroReportListCreate(generics.ListAPIView):
    serializer_class = ZeroReportSerializer
    filterset_class = ZeroReportFilter

    def get_queryset(self):
        return safety.reports_for(self.request.user).order_by("-date", "building_id")

    @extend_schema(
        operation_id="zero_reports_create",
        summary="File a building's zero report",
        description=(
            "Files the building's report for the night of `date` (by its dorm manager or "
            "shift lead, or an administrator) and closes its `zero_report_missing` alert. 400 "
            "for a night still to come, or incidents (`nothing_to_report` false) without a "
            "note; 404 with `code` `building_not_found` for a building the caller does not "
            "work in; 409 with `code` `already_filed` for a second report of that building "
            "and night."
        ),
        request=ZeroReportCreateSerializer,
        responses={
            201: ZeroReportSerializer,
            400: OpenApiResponse(CheckInValidationErrorSerializer, description="Bad input."),
            404: OpenApiResponse(CheckInErrorSerializer, description="Not your building."),
            409: OpenApiResponse(CheckInErrorSerializer, description="Filed already."),
        },
        tags=TAGS,
    )
    def post(self, request):
        data = ZeroReportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        building = Building.objects.filter(pk=values["building"]).first()
        try:
            if building is None:
                raise safety.NotYourBuilding()
            report = safety.zero_report_file(
                actor=request.user,
                building=building,
                date=values["date"],
                nothing_to_report=values["nothing_to_report"],
                note=values.get("note", ""),
            )
        except safety.ZeroReportInvalid as error:
            raise ValidationError({error.field: [error.message]}) from error
        except safety.ZeroReportError as error:
            return Response({"detail": error.message, "code": error.code}, status=error.status_code)
        report = ZeroReport.objects.select_related("building", "filed_by").get(pk=report.pk)
        return Response(ZeroReportSerializer(report).data, status=status.HTTP_201_CREATED)
