"""The repairs API (CONTRACT.md "Residents themselves"):

- `GET /api/v1/ticket-categories/`: the active fault categories and their time limits;
- `POST /api/v1/tickets/` files a request (JSON, or multipart with up to three `photos`);
- `GET /api/v1/tickets/` and `/{id}/`: what the caller may see (maintenance.selectors.tickets_for:
  a resident their own and their room's, a technician their jobs, a dispatcher their campus);
  anything else answers 404, as one that does not exist;
- `POST /api/v1/tickets/{id}/confirm/`, `/reopen/`, `/cancel/`: the reporter's steps;
- `POST /api/v1/tickets/{id}/assign/` (a dispatcher), `/start/` and `/finish/` (the assigned
  technician): the staff's steps (CONTRACT.md "Repairs, staff side"), the same services as the
  pages.

Service errors (RepairError) answer their status code with `{"detail", "errors": {field: […]}}`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from decimal import Decimal

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import BooleanWidget
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from logistics.api.strict import StrictSerializer
from maintenance import services
from maintenance.api.serializers import (
    AssignSerializer,
    CancelSerializer,
    CategorySerializer,
    FinishSerializer,
    RatingSerializer,
    ReopenSerializer,
    TicketCreateMultipartSerializer,
    TicketCreateSerializer,
    TicketSerializer,
)
from maintenance.models import StockMovement, Ticket, TicketEvent
from maintenance.selectors import (
    LIST_RELATED,
    categories_active,
    tickets_for,
    with_place,
    with_references,
)
from maintenance.stores import JOB_KINDS

User = get_user_model()

TAGS = ["repairs"]


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=_("A readable message, in the caller's language."))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=_("The problems by field."),
    )


def _error_responses(*codes: int) -> dict:
    descriptions = {
        400: "Bad input; `errors` names the fields.",
        403: "The caller may see the request but not do this to it (not its reporter).",
        404: "No such request among those the caller may see.",
        409: "The request's state does not allow this now (or a duplicate request).",
    }
    return {
        code: OpenApiResponse(ErrorSerializer, description=descriptions[code]) for code in codes
    }


def repair_error_response(error: services.RepairError) -> Response:
    """A service's refusal as the API answers it: its status code, its message by field."""
    field = error.field or "non_field_errors"
    return Response(
        {"detail": error.message, "errors": {field: [error.message]}}, status=error.status_code
    )


# --- Categories ----------------------------------------------------------------------------------


@extend_schema_view(
    get=extend_schema(
        operation_id="ticket_categories_list",
        summary="List the fault categories",
        description="The categories that take new requests, with the promised time limits: a "
        "technician starts within `response_minutes`, the repair is finished within "
        "`completion_hours`. `name` is in the language of the request (Accept-Language).",
        tags=TAGS,
    )
)
class CategoryList(generics.ListAPIView):
    serializer_class = CategorySerializer
    filter_backends = []

    def get_queryset(self):
        return categories_active()  # cached, in their order (selectors.categories_all)


# --- Tickets -------------------------------------------------------------------------------------


def _material_cost():
    """Each ticket's material cost (issued minus returned unused), as one subquery column."""
    value = ExpressionWrapper(
        F("quantity") * F("unit_cost"), output_field=DecimalField(max_digits=22, decimal_places=4)
    )
    total = (
        StockMovement.objects.filter(ticket=OuterRef("pk"), kind__in=JOB_KINDS)
        .order_by()
        .values("ticket")
        .annotate(total=Sum(value))
        .values("total")
    )
    return -Coalesce(
        Subquery(total, output_field=DecimalField(max_digits=22, decimal_places=4)),
        Decimal("0"),
        output_field=DecimalField(max_digits=22, decimal_places=4),
    )


def tickets_queryset(user, *, related: tuple[str, ...] | None = None):
    """What `user` may see, with everything TicketSerializer reads: the place, people and
    category in the same query, photos and the timeline in one query each. A long list
    passes `related=LIST_RELATED` and sets the rest with selectors.with_references."""
    tickets = tickets_for(user)
    tickets = with_place(tickets) if related is None else tickets.select_related(*related)
    return tickets.annotate(job_material_cost=_material_cost()).prefetch_related(
        "photos",
        Prefetch("events", queryset=TicketEvent.objects.select_related("actor")),
    )


STATUS_CHOICES = [("open", _("Under way")), *Ticket.Status.choices]


class TicketFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES,
        method="filter_status",
        label=_("status"),
        help_text="open (submitted, assigned or in_progress), or one status.",
    )
    mine = django_filters.BooleanFilter(
        method="filter_mine",
        widget=BooleanWidget,
        label=_("mine"),
        help_text="true: only the requests the caller reported, or (a technician) their jobs.",
    )

    class Meta:
        model = Ticket
        fields = ["status", "mine"]

    def filter_status(self, queryset, name, value):
        if value == "open":
            return queryset.filter(status__in=Ticket.OPEN)
        return queryset.filter(status=value)

    def filter_mine(self, queryset, name, value):
        if not value:
            return queryset
        user = self.request.user
        return queryset.filter(Q(reporter_id=user.pk) | Q(technician_id=user.pk))


@extend_schema_view(
    get=extend_schema(
        operation_id="tickets_list",
        summary="List repair requests",
        description="Newest first. A resident sees their own requests and those of the room "
        "they live in, a technician their jobs, a dispatcher their campus's.",
        responses={200: TicketSerializer(many=True), 400: ErrorSerializer},
        tags=TAGS,
    ),
)
class TicketListCreate(generics.ListAPIView):
    serializer_class = TicketSerializer
    filterset_class = TicketFilter
    parser_classes = [JSONParser, MultiPartParser]

    def get_queryset(self):
        return tickets_queryset(self.request.user, related=LIST_RELATED).order_by(
            "-created_at", "-id"
        )

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return with_references(page) if page is not None else None

    @extend_schema(
        operation_id="tickets_create",
        summary="File a repair request",
        description=(
            "Files a request for the caller's own room (no `room` nor `area`), another room "
            "they may report for, or a public area. JSON, or multipart/form-data with up to "
            "three `photos`. 400 for an unknown category (`errors.category`), a place the "
            "caller may not report for (`errors.room` / `errors.area`), no place when the "
            "caller lives in no room (`errors.room`), or bad photos; 409 when the caller has "
            "already reported this fault here and it is under way, or has too many under way."
        ),
        request={
            "application/json": TicketCreateSerializer,
            "multipart/form-data": TicketCreateMultipartSerializer,
        },
        responses={201: TicketSerializer, **_error_responses(400, 409)},
        tags=TAGS,
    )
    def post(self, request):
        data = TicketCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            ticket = services.ticket_file(
                reporter=request.user,
                category=values["category"],
                description=values["description"],
                room=values.get("room"),
                area=values.get("area"),
                available_times=values.get("available_times", ""),
                contact_phone=values.get("contact_phone", ""),
                photos=values.get("photos", []),
            )
        except services.RepairError as error:
            return repair_error_response(error)
        # Read back as the caller sees it (a dispatcher filing for another campus's room
        # would not, but place_problem lets staff file only within their scope).
        ticket = tickets_queryset(request.user).filter(pk=ticket.pk).first() or ticket
        return Response(
            TicketSerializer(ticket, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema_view(
    get=extend_schema(
        operation_id="tickets_retrieve",
        summary="One repair request",
        description="With its timeline and photos. 404 for a request the caller may not see, "
        "as for one that does not exist.",
        responses={200: TicketSerializer, **_error_responses(404)},
        tags=TAGS,
    ),
)
class TicketDetail(generics.RetrieveAPIView):
    serializer_class = TicketSerializer

    def get_queryset(self):
        return tickets_queryset(self.request.user)


class _TicketAction(ABC, APIView):
    """A step of the reporter's on a ticket they may see: the input checked, the service
    called, the ticket answered as it is now."""

    input_serializer: type[serializers.Serializer]

    @abstractmethod
    def perform(self, ticket, values):
        """Call the action's service for `ticket` with the checked `values`."""

    def post(self, request, pk: int):
        ticket = generics.get_object_or_404(tickets_for(request.user), pk=pk)
        data = self.input_serializer(data=request.data or {})
        data.is_valid(raise_exception=True)
        try:
            self.perform(ticket, data.validated_data)
        except services.RepairError as error:
            return repair_error_response(error)
        ticket = tickets_queryset(request.user).get(pk=ticket.pk)
        return Response(TicketSerializer(ticket, context={"request": request}).data)


class TicketConfirm(_TicketAction):
    input_serializer = RatingSerializer

    @extend_schema(
        operation_id="tickets_confirm",
        summary="Confirm and rate a finished repair",
        description="The reporter confirms the repair and rates it 1 to 5 (or rates one "
        "closed automatically). 403 for anyone but the reporter; 409 when it is not finished "
        "or already rated.",
        request=RatingSerializer,
        responses={200: TicketSerializer, **_error_responses(400, 403, 404, 409)},
        tags=TAGS,
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, ticket, values):
        services.ticket_confirm(
            actor=self.request.user,
            ticket=ticket,
            rating=values["rating"],
            comment=values.get("comment", ""),
        )


class TicketReopen(_TicketAction):
    input_serializer = ReopenSerializer

    @extend_schema(
        operation_id="tickets_reopen",
        summary="Reopen a repair that did not fix the fault",
        description="The reporter, within the confirmation days after the finish, says what "
        "is still wrong; the job goes back to its technician. 403 for anyone but the reporter; "
        "409 when the repair is not waiting for confirmation or the time has passed.",
        request=ReopenSerializer,
        responses={200: TicketSerializer, **_error_responses(400, 403, 404, 409)},
        tags=TAGS,
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, ticket, values):
        services.ticket_reopen(actor=self.request.user, ticket=ticket, reason=values["reason"])


class TicketCancel(_TicketAction):
    input_serializer = CancelSerializer

    @extend_schema(
        operation_id="tickets_cancel",
        summary="Cancel a repair request",
        description="Its reporter while work has not started; a dispatcher of its campus until "
        "the repair is finished, with a reason. 403 for anyone else; 409 when it is too late.",
        request=CancelSerializer,
        responses={200: TicketSerializer, **_error_responses(400, 403, 404, 409)},
        tags=TAGS,
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, ticket, values):
        services.ticket_cancel(
            actor=self.request.user, ticket=ticket, reason=values.get("reason", "")
        )


# --- The staff's steps (CONTRACT.md "Repairs, staff side": a technician's phone) ---------------


class NoInputSerializer(StrictSerializer):
    """A step that takes no input (an empty body, or none)."""


class TicketAssign(_TicketAction):
    input_serializer = AssignSerializer

    @extend_schema(
        operation_id="tickets_assign",
        summary="Assign a repair to a technician",
        description="A dispatcher of the request's campus gives it to a technician on duty "
        "there (by username), or hands it to another one until the repair is finished. 400 "
        "for someone who is not on the campus's roster (`errors.technician`); 403 for anyone "
        "but a dispatcher; 409 when the request is no longer under way.",
        request=AssignSerializer,
        responses={200: TicketSerializer, **_error_responses(400, 403, 404, 409)},
        tags=TAGS,
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, ticket, values):
        technician = User.objects.filter(username=values["technician"]).first()
        if technician is None:
            raise services.RepairInvalid(
                _("Choose a technician on duty on this request's campus."), field="technician"
            )
        services.ticket_assign(
            actor=self.request.user,
            ticket=ticket,
            technician=technician,
            note=values.get("note", ""),
        )


class TicketStart(_TicketAction):
    input_serializer = NoInputSerializer

    @extend_schema(
        operation_id="tickets_start",
        summary="Start work on site",
        description="The assigned technician is on site: the response promise is kept or "
        "missed now. 403 for anyone but the assigned technician; 409 unless the job is "
        "assigned and not yet started.",
        request=None,
        responses={200: TicketSerializer, **_error_responses(403, 404, 409)},
        tags=TAGS,
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, ticket, values):
        services.ticket_start(actor=self.request.user, ticket=ticket)


class TicketFinish(_TicketAction):
    input_serializer = FinishSerializer
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        operation_id="tickets_finish",
        summary="Finish the repair",
        description="The assigned technician records the labour in minutes, what was done and "
        "up to three photos of the result (multipart/form-data); the reporter is asked to "
        "confirm; with a JSON body, optionally the repair items done from the center's points "
        "table (items: [{item: code, quantity: n}]), which count the labour in points. 400 for "
        "labour outside 1 to 1,440 minutes or an item not in the table; 403 for anyone but "
        "the assigned technician; 409 unless the job has been started.",
        request={"application/json": FinishSerializer, "multipart/form-data": FinishSerializer},
        responses={200: TicketSerializer, **_error_responses(400, 403, 404, 409)},
        tags=TAGS,
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, ticket, values):
        services.ticket_finish(
            actor=self.request.user,
            ticket=ticket,
            labour_minutes=values["labour_minutes"],
            work_note=values.get("note", ""),
            photos=values.get("photos", []),
            items=values.get("items", []),
        )
