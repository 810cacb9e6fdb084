"""Planned work in the API, for a phone (docs/maintenance.md, "Planned maintenance and room
readiness"):

- `GET /api/v1/jobs/today/`: a technician's repair jobs for today — assigned to them, under way,
  and due (their running deadline) by the end of today or already started; preventive jobs are
  among them (`schedule`, `due_on`). Paginated, earliest deadline first.
- `GET /api/v1/room-tasks/`: a service worker's (or technician's) rooms to work in open
  readiness campaigns — those not done yet (`?state=all`: every one), `?campaign=`,
  `?building=` filter; by building, floor and room. `/room-tasks/{id}/` one room.
- `POST /api/v1/room-tasks/{id}/checklist/` `{"done_items": [0, 2], "note": "…"}` records the
  room's checklist (the whole list of items done, by index) → 200 with the room;
- `POST /api/v1/room-tasks/{id}/faults/` `{"category": <code>, "description"}` reports a fault
  found there: a repair ticket of the campaign → 201 with the ticket.

- `GET /api/v1/meters/`: the meters the caller reads, with their latest reading;
  `POST /api/v1/meters/{id}/readings/` `{"value": "1520.5", "note": "…"}` records a reading
  → 201 with the meter; 400 when it is lower than the latest or beyond what the meter can run
  since (maintenance.meters).

Rooms the caller does not work answer 404; refusals of the services answer as the other repair
endpoints do (`{"detail", "errors"}`).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from logistics.api.strict import StrictSerializer
from maintenance import campaigns, meters
from maintenance.api.serializers import TicketSerializer
from maintenance.api.views import (
    _error_responses,
    repair_error_response,
    tickets_queryset,
)
from maintenance.models import Category, Meter, RoomTask, Ticket
from maintenance.selectors import LIST_RELATED, with_references
from maintenance.services import RepairError

TAGS = ["planned maintenance"]


def _end_of_today():
    tomorrow = timezone.localdate() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(tomorrow, time.min))


@extend_schema_view(
    get=extend_schema(
        operation_id="jobs_today",
        summary="A technician's jobs for today",
        description="The caller's assigned repairs under way whose running deadline falls by "
        "the end of today, and those already started; earliest deadline first.",
        responses={200: TicketSerializer(many=True)},
        tags=TAGS,
    )
)
class JobsToday(generics.ListAPIView):
    serializer_class = TicketSerializer
    filter_backends = []

    def get_queryset(self):
        user = self.request.user
        return (
            tickets_queryset(user, related=LIST_RELATED)
            .filter(technician_id=user.pk, status__in=Ticket.OPEN)
            .filter(Q(due_at__lt=_end_of_today()) | Q(status=Ticket.Status.IN_PROGRESS))
            .order_by("due_at", "id")
        )

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return with_references(page) if page is not None else None


class ChecklistItemSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    text = serializers.CharField()
    done = serializers.BooleanField()


class RoomTaskSerializer(serializers.ModelSerializer):
    campaign_name = serializers.CharField(source="campaign.name")
    move_in_date = serializers.DateField(source="campaign.move_in_date")
    building_code = serializers.CharField(source="building.code")
    room_number = serializers.CharField(source="room.number")
    floor = serializers.IntegerField(source="room.floor")
    state = serializers.SerializerMethodField()
    checklist = serializers.SerializerMethodField()

    class Meta:
        model = RoomTask
        fields = [
            "id",
            "campaign",
            "campaign_name",
            "move_in_date",
            "building",
            "building_code",
            "room",
            "room_number",
            "floor",
            "status",
            "state",
            "checklist",
            "note",
            "updated_at",
            "done_at",
        ]

    def get_state(self, task) -> str:
        """ready, in_progress, blocked (an open repair in the room) or not_started."""
        return campaigns.task_state(task)

    @extend_schema_field(ChecklistItemSerializer(many=True))
    def get_checklist(self, task) -> list[dict]:
        done = set(task.done_items)
        return [
            {"index": n, "text": text, "done": n in done}
            for n, text in enumerate(task.campaign.checklist)
        ]


def _tasks(user):
    return campaigns.with_state(campaigns.workable_tasks(user)).select_related(
        "campaign", "room", "building"
    )


@extend_schema_view(
    get=extend_schema(
        operation_id="room_tasks_list",
        summary="Rooms to work in readiness campaigns",
        description="The rooms of open campaigns the caller works (a building's service staff, "
        "the campus's technicians and dispatchers) whose checklist is not done; `state=all` "
        "lists every one. `campaign` and `building` (ids) filter.",
        responses={200: RoomTaskSerializer(many=True)},
        tags=TAGS,
    ),
)
class RoomTaskList(generics.ListAPIView):
    serializer_class = RoomTaskSerializer
    filter_backends = []

    def get_queryset(self):
        tasks = _tasks(self.request.user)
        params = self.request.query_params
        if params.get("state") != "all":
            tasks = tasks.exclude(status=RoomTask.Status.DONE)
        for name in ("campaign", "building"):
            value = params.get(name)
            if value:
                if not value.isdigit():
                    raise serializers.ValidationError({name: ["Give an id."]})
                tasks = tasks.filter(**{f"{name}_id": int(value)})
        return tasks.order_by("building__code", "room__floor", "room__number", "pk")


@extend_schema_view(
    get=extend_schema(
        operation_id="room_tasks_retrieve",
        summary="One room to work",
        responses={200: RoomTaskSerializer, **_error_responses(404)},
        tags=TAGS,
    ),
)
class RoomTaskDetail(generics.RetrieveAPIView):
    serializer_class = RoomTaskSerializer

    def get_queryset(self):
        return _tasks(self.request.user)


class ChecklistInputSerializer(StrictSerializer):
    done_items = serializers.ListField(child=serializers.IntegerField(min_value=0), max_length=50)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class FaultInputSerializer(StrictSerializer):
    category = serializers.SlugRelatedField(
        slug_field="code", queryset=Category.objects.filter(is_active=True)
    )
    description = serializers.CharField(max_length=1000)


class RoomTaskChecklist(APIView):
    @extend_schema(
        operation_id="room_tasks_checklist",
        summary="Record a room's checklist",
        description="The whole list of items done, by index; the room is ready when all are "
        "and it has no open repair. 400 for an index outside the checklist.",
        request=ChecklistInputSerializer,
        responses={200: RoomTaskSerializer, **_error_responses(400, 404)},
        tags=TAGS,
    )
    def post(self, request, pk: int):
        task = generics.get_object_or_404(_tasks(request.user), pk=pk)
        data = ChecklistInputSerializer(data=request.data or {})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            campaigns.room_task_record(
                actor=request.user,
                task=task,
                done_items=values["done_items"],
                note=values.get("note"),
            )
        except RepairError as error:
            return repair_error_response(error)
        return Response(RoomTaskSerializer(_tasks(request.user).get(pk=pk)).data)


class RoomTaskFault(APIView):
    @extend_schema(
        operation_id="room_tasks_fault",
        summary="Report a fault found in a room",
        description="Files a repair ticket for the room, linked to its campaign; the room is "
        "blocked until the repair is finished. 400 for an unknown category or no description; "
        "409 when the caller already reported this fault here and it is under way.",
        request=FaultInputSerializer,
        responses={201: TicketSerializer, **_error_responses(400, 404, 409)},
        tags=TAGS,
    )
    def post(self, request, pk: int):
        task = generics.get_object_or_404(_tasks(request.user), pk=pk)
        data = FaultInputSerializer(data=request.data or {})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            ticket = campaigns.room_fault_report(
                actor=request.user,
                task=task,
                category=values["category"],
                description=values["description"],
            )
        except RepairError as error:
            return repair_error_response(error)
        ticket = tickets_queryset(request.user).filter(pk=ticket.pk).first() or ticket
        return Response(
            TicketSerializer(ticket, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


# --- Meters (maintenance.meters) --------------------------------------------------------------


class MeterSerializer(serializers.ModelSerializer):
    campus = serializers.CharField(source="campus.code")
    place = serializers.SerializerMethodField()
    unit_display = serializers.SerializerMethodField()

    class Meta:
        model = Meter
        fields = [
            "id",
            "name",
            "campus",
            "place",
            "unit",
            "unit_display",
            "max_per_day",
            "reading",
            "read_at",
            "is_active",
        ]
        read_only_fields = fields

    def get_place(self, meter) -> str:
        """Building code and room number (S01-101), or the public area's name."""
        if meter.room_id:
            return f"{meter.room.building.code}-{meter.room.number}"
        return meter.area.display_name

    def get_unit_display(self, meter) -> str:
        return str(Meter.Unit(meter.unit).label)


class ReadingInputSerializer(StrictSerializer):
    value = serializers.CharField(max_length=20)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


@extend_schema_view(
    get=extend_schema(
        operation_id="meters_list",
        summary="Meters the caller reads",
        description="The meters of the campuses whose repairs the caller dispatches or where "
        "they are a technician on duty, with their latest reading.",
        responses={200: MeterSerializer(many=True)},
        tags=TAGS,
    )
)
class MeterList(generics.ListAPIView):
    serializer_class = MeterSerializer
    filter_backends = []

    def get_queryset(self):
        return meters.meters_for(self.request.user).order_by("campus__position", "name", "pk")


class MeterReadingCreate(APIView):
    @extend_schema(
        operation_id="meters_reading",
        summary="Record a meter reading",
        description="400 when the reading is lower than the meter's latest, or more than the "
        "meter can advance since then (`max_per_day` a day): a typing error. The nightly "
        "preventive job generates the jobs of the thresholds it passes.",
        request=ReadingInputSerializer,
        responses={201: MeterSerializer, **_error_responses(400, 404)},
        tags=TAGS,
    )
    def post(self, request, pk: int):
        meter = generics.get_object_or_404(meters.meters_for(request.user), pk=pk)
        data = ReadingInputSerializer(data=request.data or {})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            meters.reading_record(
                actor=request.user, meter=meter, value=values["value"], note=values.get("note")
            )
        except meters.MeterInvalid as error:
            field = error.field or "non_field_errors"
            return Response(
                {"detail": error.message, "errors": {field: [error.message]}},
                status=status.HTTP_400_BAD_REQUEST,
            )
        meter = meters.meters_for(request.user).get(pk=pk)
        return Response(MeterSerializer(meter).data, status=status.HTTP_201_CREATED)
