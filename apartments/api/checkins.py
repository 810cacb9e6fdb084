"""POST /api/v1/check-ins/: a desk app or a mini-program checks a resident in (CONTRACT.md)."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apartments import services
from apartments.api.serializers import (
    CheckInErrorSerializer,
    CheckInRequestSerializer,
    CheckInSerializer,
    CheckInValidationErrorSerializer,
)
from apartments.selectors import desk_buildings_for
from logistics.access import HasRole
from logistics.models import Role

DESK_ROLES = (Role.DORM_MANAGER, Role.SHIFT_LEAD, Role.ADMIN)


class CheckInCreate(APIView):
    permission_classes = [HasRole.of(*DESK_ROLES)]

    @extend_schema(
        operation_id="check_ins_create",
        summary="Check a resident in",
        description=(
            "Checks the resident in: into the given bed, else the bed reserved for them, else "
            "a free bed that fits them (campus, gender, the building's categories, the room "
            "type). Only beds of the caller's buildings: another bed id answers 404, as one "
            "that does not exist. Checking into another bed than the reserved one cancels the "
            "reservation.\n\n"
            "Every conflict with the state of the beds is 409, with a `code`: "
            "`already_checked_in`, `bed_taken`, `no_free_bed` (nothing fits in the caller's "
            "buildings) or `wrong_building` (the reservation is in a building the caller does "
            "not look after; `detail` names it)."
        ),
        request=CheckInRequestSerializer,
        responses={
            201: CheckInSerializer,
            400: OpenApiResponse(
                CheckInValidationErrorSerializer,
                description="Malformed input: student_id missing, empty or too long; bed not a "
                "positive integer.",
            ),
            404: OpenApiResponse(
                CheckInErrorSerializer,
                description="No resident with this student id (`resident_not_found`), or no "
                "such bed among the caller's buildings (`bed_not_found`).",
            ),
            409: OpenApiResponse(
                CheckInErrorSerializer,
                description="Already checked in, bed taken, no free bed that fits, or the "
                "reservation is in another building.",
                examples=[
                    OpenApiExample(
                        "Already checked in",
                        value={
                            "detail": "王伟 (2501000001) is already checked in: bed "
                            "S01-101-2, since 2026/09/01 09:12.",
                            "code": "already_checked_in",
                        },
                        response_only=True,
                    )
                ],
            ),
        },
        tags=["move-in"],
    )
    def post(self, request):
        data = CheckInRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            stay = services.checkin_create(
                actor=request.user,
                student_id=values["student_id"],
                bed_id=values.get("bed"),
                buildings=desk_buildings_for(request.user),
                key_issued=values["key_issued"],
                kit_issued=values["kit_issued"],
            )
        except services.CheckInError as error:
            return Response({"detail": error.message, "code": error.code}, status=error.status_code)
        return Response(CheckInSerializer(stay).data, status=status.HTTP_201_CREATED)
