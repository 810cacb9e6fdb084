"""Serializers of the repairs API (CONTRACT.md "Residents themselves")."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apartments.models import Room
from logistics.api.strict import StrictSerializer
from logistics.uploads import PhotoUploadListField, SignedPhotoUrlField
from maintenance import points, services
from maintenance.models import Category, PublicArea, Ticket, TicketEvent, TicketPhoto
from maintenance.selectors import deadline_state

# --- Categories ----------------------------------------------------------------------------------


class CategorySerializer(serializers.ModelSerializer):
    name = serializers.CharField(
        source="display_name", help_text=_("The name in the language of the request.")
    )
    name_zh = serializers.CharField(source="name")

    class Meta:
        model = Category
        fields = ["code", "name", "name_zh", "name_en", "response_minutes", "completion_hours"]
        read_only_fields = fields


# --- Filing --------------------------------------------------------------------------------------


class TicketCreateSerializer(StrictSerializer):
    category = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Category.objects.all(),
        label=_("category"),
        help_text=_("A category code from /api/v1/ticket-categories/."),
    )
    description = serializers.CharField(
        max_length=services.DESCRIPTION_MAX_LENGTH, label=_("description")
    )
    room = serializers.PrimaryKeyRelatedField(
        queryset=Room.objects.select_related("building__campus"),
        required=False,
        allow_null=True,
        label=_("room"),
        help_text=_("A room id; without room and area, the caller's own room."),
    )
    area = serializers.PrimaryKeyRelatedField(
        queryset=PublicArea.objects.select_related("building", "campus"),
        required=False,
        allow_null=True,
        label=_("public area"),
        help_text=_("A public area id, instead of a room."),
    )
    available_times = serializers.CharField(
        max_length=200, required=False, allow_blank=True, label=_("when you are available")
    )
    contact_phone = serializers.CharField(
        max_length=30, required=False, allow_blank=True, label=_("contact phone")
    )
    photos = PhotoUploadListField(
        required=False,
        max_length=services.MAX_PHOTOS,
        label=_("photos"),
        help_text=_("Up to three photos of the fault (multipart/form-data)."),
    )

    def validate(self, data):
        if data.get("room") is not None and data.get("area") is not None:
            raise serializers.ValidationError(
                {"area": [_("Choose the room or the public area of the fault, not both.")]}
            )
        return data


class TicketCreateMultipartSerializer(TicketCreateSerializer):
    """Filing a repair as multipart/form-data, with photos. A form cannot say null: leave
    `room` and `area` out (or empty) for none."""

    def get_fields(self):
        fields = super().get_fields()
        for name in ("room", "area"):
            fields[name].allow_null = False
        return fields


class RatingSerializer(StrictSerializer):
    rating = serializers.IntegerField(min_value=1, max_value=5, label=_("rating"))
    comment = serializers.CharField(
        max_length=services.NOTE_MAX_LENGTH, required=False, allow_blank=True, label=_("comment")
    )


class ReopenSerializer(StrictSerializer):
    reason = serializers.CharField(
        max_length=services.NOTE_MAX_LENGTH,
        label=_("reason"),
        help_text=_("What is still wrong."),
    )


class CancelSerializer(StrictSerializer):
    reason = serializers.CharField(
        max_length=services.NOTE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        label=_("reason"),
        help_text=_("Required from a dispatcher cancelling someone else's request."),
    )


class AssignSerializer(StrictSerializer):
    technician = serializers.CharField(
        max_length=150,
        label=_("technician"),
        help_text=_("The technician's username: on duty on the request's campus."),
    )
    note = serializers.CharField(
        max_length=services.NOTE_MAX_LENGTH, required=False, allow_blank=True, label=_("note")
    )


class ItemLineSerializer(StrictSerializer):
    item = serializers.SlugField(
        max_length=40, label=_("repair item"), help_text=_("The item's code in the points table.")
    )
    quantity = serializers.IntegerField(
        min_value=1, max_value=points.MAX_QUANTITY, default=1, label=_("quantity")
    )


class FinishSerializer(StrictSerializer):
    labour_minutes = serializers.IntegerField(
        min_value=1,
        max_value=services.MAX_LABOUR_MINUTES,
        label=_("labour (minutes)"),
        help_text=_("Minutes of work on this visit; a reopened job's visits add up."),
    )
    note = serializers.CharField(
        max_length=services.DESCRIPTION_MAX_LENGTH,
        required=False,
        allow_blank=True,
        label=_("what was done"),
    )
    photos = PhotoUploadListField(
        required=False,
        max_length=services.MAX_PHOTOS,
        label=_("photos"),
        help_text=_("Up to three photos of the result (multipart/form-data)."),
    )
    items = ItemLineSerializer(
        many=True,
        required=False,
        label=_("repair items done"),
        help_text=_(
            "The repair items done, from the center's points table (维修项目计票), with their "
            "quantities; a JSON body only. They count the job's labour in points."
        ),
    )


# --- Reading -------------------------------------------------------------------------------------


class TicketPhotoSerializer(serializers.ModelSerializer):
    url = SignedPhotoUrlField(
        source="photo_id",
        help_text=_(
            "The photo's signed URL for the caller: opens without a session or token for a "
            "limited time (15 minutes by default)."
        ),
    )
    kind = serializers.CharField(help_text=_("fault or result"))

    class Meta:
        model = TicketPhoto
        fields = ["id", "url", "kind"]


class TicketEventSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(
        help_text=", ".join(TicketEvent.Kind.values),
    )
    display = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField()

    class Meta:
        model = TicketEvent
        fields = ["kind", "display", "at", "actor", "note"]

    def get_display(self, event) -> str:
        # The label straight from the enum: get_kind_display() builds and hashes a dict of
        # every lazy label per call, a third of a 50-ticket page's time with its timelines.
        return str(TicketEvent.Kind(event.kind).label)

    def get_actor(self, event) -> str | None:
        return event.actor.display_name if event.actor_id else None


class TicketOriginSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["schedule", "campaign"])
    id = serializers.IntegerField()
    name = serializers.CharField()
    due_on = serializers.DateField(allow_null=True)
    due_reading = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)


class TicketSerializer(serializers.ModelSerializer):
    """A repair request with its place, people, promise, timeline and photos. Reads the
    ticket as selected by maintenance.api.views.tickets_queryset (no query per ticket)."""

    number = serializers.CharField()
    status = serializers.CharField(help_text=", ".join(Ticket.Status.values))
    status_display = serializers.SerializerMethodField()
    category = serializers.CharField(source="category.code")
    category_name = serializers.CharField(source="category.display_name")
    place = serializers.SerializerMethodField()
    campus = serializers.CharField(source="campus.code")
    urgency = serializers.CharField(help_text="normal, urgent")
    technician = serializers.SerializerMethodField()
    deadline_state = serializers.SerializerMethodField()
    merged_into = serializers.IntegerField(source="merged_into_id", allow_null=True)
    photos = TicketPhotoSerializer(many=True)
    events = TicketEventSerializer(many=True)
    material_cost = serializers.SerializerMethodField()
    labour_minutes = serializers.SerializerMethodField()
    labour_points = serializers.SerializerMethodField()
    origin = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "status",
            "status_display",
            "category",
            "category_name",
            "place",
            "campus",
            "description",
            "available_times",
            "urgency",
            "technician",
            "created_at",
            "respond_by",
            "complete_by",
            "started_at",
            "finished_at",
            "closed_at",
            "deadline_state",
            "rating",
            "rating_comment",
            "merged_into",
            "photos",
            "events",
            "material_cost",
            "labour_minutes",
            "labour_points",
            "origin",
        ]
        read_only_fields = fields

    @extend_schema_field(TicketOriginSerializer(allow_null=True))
    def get_origin(self, ticket) -> dict | None:
        """The preventive schedule (with the due date, or the meter reading, of this job) or
        the readiness campaign that generated the request; null for a reported fault."""
        if ticket.schedule_id is not None:
            origin = {
                "kind": "schedule",
                "id": ticket.schedule_id,
                "name": ticket.schedule.name,
                "due_on": ticket.due_on,
                "due_reading": ticket.due_reading,
            }
        elif ticket.campaign_id is not None:
            origin = {
                "kind": "campaign",
                "id": ticket.campaign_id,
                "name": ticket.campaign.name,
                "due_on": None,
                "due_reading": None,
            }
        else:
            return None
        return TicketOriginSerializer(origin).data

    def get_status_display(self, ticket) -> str:
        return str(Ticket.Status(ticket.status).label)

    def get_place(self, ticket) -> str:
        """Building code and room number (S01-101), or the public area's name."""
        if ticket.room_id:
            return f"{ticket.room.building.code}-{ticket.room.number}"
        return ticket.area.display_name

    def get_technician(self, ticket) -> str | None:
        return ticket.technician.display_name if ticket.technician_id else None

    def get_deadline_state(self, ticket) -> str:
        """overdue, at_risk or ok while the request is under way; empty once it is not."""
        return deadline_state(ticket)

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True))
    def get_material_cost(self, ticket) -> str | None:
        """Materials issued minus returned unused, in yuan; null until the repair is finished."""
        if ticket.finished_at is None:
            return None
        cost = Decimal(getattr(ticket, "job_material_cost", None) or 0).quantize(Decimal("0.01"))
        return str(cost if cost else Decimal("0.00"))  # not "-0.00" when all was returned

    def get_labour_minutes(self, ticket) -> int | None:
        """Minutes of labour; null until the repair is finished."""
        if ticket.finished_at is None:
            return None
        return ticket.labour_minutes

    @extend_schema_field(serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True))
    def get_labour_points(self, ticket) -> str | None:
        """Labour in points of the repair items table (维修项目计票); null until finished."""
        if ticket.finished_at is None:
            return None
        return str(Decimal(ticket.labour_points).quantize(Decimal("0.1")))
