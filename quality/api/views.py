"""The quality API under /api/v1/, scoped as the pages are (quality.selectors):

- `GET /inspections/`, `/inspections/{id}/`: sealed inspection records with their findings;
  auditors see all, a department head their departments'. Filters: department, area, from, to.
- `GET /nonconformities/`, `/nonconformities/{id}/`: auditors all, heads their departments',
  staff those they own. Filters: status, department, overdue.
  `POST /nonconformities/{id}/answer/` (the owner or the department's head records the
  action) and `/verify/` (an auditor judges it).
- `GET /complaint-categories/`: the active categories.
- `GET /complaints/`, `/complaints/{id}/`: auditors all, heads their departments', staff those
  given to them, anyone their own. An anonymous complaint never names its complainant to
  staff. `POST /complaints/` files a web complaint; `POST /complaints/{id}/feedback/`: the
  complainant's verdict on the answer.

What the caller may not see answers 404, as one that does not exist. Service errors answer
their status code with `{"detail", "errors": {field: […]}}`.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod

import django_filters
from django import forms
from django.db.models import BooleanField, Case, Prefetch, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from logistics.models import Department, ServiceArea
from quality import complaints as complaint_services
from quality import dashboard
from quality import nonconformities as nc_services
from quality.api.serializers import (
    ComplaintCategorySerializer,
    ComplaintCreateSerializer,
    ComplaintFeedbackSerializer,
    ComplaintSerializer,
    InspectionSerializer,
    NonconformityAnswerSerializer,
    NonconformitySerializer,
    NonconformityVerifySerializer,
    QualityErrorSerializer,
)
from quality.models import (
    Complaint,
    ComplaintCategory,
    Inspection,
    InspectionAnswer,
    Nonconformity,
)
from quality.selectors import complaints_for, inspections_for, nonconformities_for


def _error_responses(*codes: int) -> dict:
    descriptions = {
        400: "Bad input; `errors` names the fields.",
        403: "The caller may see the record but not do this to it.",
        404: "No such record among those the caller may see.",
        409: "The record's state does not allow this now.",
    }
    return {
        code: OpenApiResponse(QualityErrorSerializer, description=descriptions[code])
        for code in codes
    }


def service_error_response(error) -> Response:
    """A service's refusal (NonconformityError, ComplaintError): its status code, its message
    by field."""
    field = error.field or "non_field_errors"
    return Response(
        {"detail": error.message, "errors": {field: [error.message]}}, status=error.status_code
    )


def _flag(q: Q):
    return Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())


# --- Inspection records --------------------------------------------------------------------------


class PeriodForm(forms.Form):
    """Checks `from` ≤ `to` and the dates' range, as the dashboard does."""

    def clean(self):
        data = super().clean()
        problems = dashboard.period_problems(data.get("from"), data.get("to"))
        for name, problem in problems.items():
            if name in data:
                self.add_error(name, problem)
        return data


def _submitted_from(queryset, name, value):
    return queryset.filter(submitted_at__gte=dashboard.Period(value, value).since)


def _submitted_to(queryset, name, value):
    return queryset.filter(submitted_at__lt=dashboard.Period(value, value).until)


InspectionFilter = type(
    "InspectionFilter",
    (django_filters.FilterSet,),
    {
        "department": django_filters.ModelChoiceFilter(
            field_name="department",
            to_field_name="code",
            queryset=Department.objects.all(),
            label=_("department"),
            help_text="A department code.",
        ),
        "area": django_filters.ModelChoiceFilter(
            field_name="area",
            to_field_name="code",
            queryset=ServiceArea.objects.all(),
            label=_("area"),
            help_text="A service area code.",
        ),
        # `from` and `to` are Python keywords: the filter set is built with type().
        "from": django_filters.DateFilter(
            method=_submitted_from,
            label=_("from"),
            help_text="YYYY-MM-DD: submitted on or after this day (Asia/Shanghai).",
        ),
        "to": django_filters.DateFilter(
            method=_submitted_to,
            label=_("to"),
            help_text="YYYY-MM-DD: submitted on or before this day (Asia/Shanghai).",
        ),
        "Meta": type(
            "Meta", (), {"model": Inspection, "fields": ["department", "area"], "form": PeriodForm}
        ),
    },
)


def inspections_queryset(user):
    """Sealed records `user` may see, with everything InspectionSerializer reads: the
    record's relations in the same query, its findings with their items in one more."""
    return (
        inspections_for(user)
        .filter(status=Inspection.Status.SEALED)
        .select_related("version__checklist", "area", "department", "campus", "auditor")
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=InspectionAnswer.objects.select_related("item").order_by(
                    "item__position", "item_id"
                ),
            )
        )
        .order_by("-sequence")
    )


INSPECTION_TAGS = ["quality: inspections"]


@extend_schema_view(
    get=extend_schema(
        operation_id="inspections_list",
        summary="List sealed inspection records",
        description="The latest first (by chain position), each with its findings. Auditors "
        "see every record, a department head their departments'; anyone else an empty list. "
        "`from`/`to` filter by the day submitted. 400 for an unknown department or area "
        "code, a day outside 2000-01-01 to 2100-12-31, `to` before `from`, or a period longer "
        "than the dashboard's.",
        responses={200: InspectionSerializer(many=True), **_error_responses(400)},
        tags=INSPECTION_TAGS,
    )
)
class InspectionList(generics.ListAPIView):
    serializer_class = InspectionSerializer
    filterset_class = InspectionFilter

    def get_queryset(self):
        return inspections_queryset(self.request.user)


@extend_schema_view(
    get=extend_schema(
        operation_id="inspections_retrieve",
        summary="One sealed inspection record",
        description="With its seal, its place in the chain, the record it amends (if any) and "
        "its findings. 404 for a record the caller may not see.",
        responses={200: InspectionSerializer, **_error_responses(404)},
        tags=INSPECTION_TAGS,
    )
)
class InspectionDetail(generics.RetrieveAPIView):
    serializer_class = InspectionSerializer

    def get_queryset(self):
        return inspections_queryset(self.request.user)


# --- Nonconformities -----------------------------------------------------------------------------

NC_TAGS = ["quality: nonconformities"]


def nonconformities_queryset(user):
    return (
        nonconformities_for(user)
        .annotate(is_overdue=_flag(dashboard.overdue_q(timezone.localdate())))
        .select_related("department", "campus", "raised_by", "owner", "answered_by", "verified_by")
    )


class NonconformityFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Nonconformity.Status.choices, label=_("status"))
    department = django_filters.ModelChoiceFilter(
        field_name="department",
        to_field_name="code",
        queryset=Department.objects.all(),
        label=_("department"),
        help_text="A department code.",
    )
    overdue = django_filters.BooleanFilter(
        field_name="is_overdue",
        label=_("overdue"),
        help_text="true: only those open past their action due date; false: the others.",
    )

    class Meta:
        model = Nonconformity
        fields = ["status", "department", "overdue"]


@extend_schema_view(
    get=extend_schema(
        operation_id="nonconformities_list",
        summary="List nonconformities",
        description="The newest first. Auditors see all, a department head their "
        "departments', others those they own. 400 for an unknown department code.",
        responses={200: NonconformitySerializer(many=True), **_error_responses(400)},
        tags=NC_TAGS,
    )
)
class NonconformityList(generics.ListAPIView):
    serializer_class = NonconformitySerializer
    filterset_class = NonconformityFilter

    def get_queryset(self):
        return nonconformities_queryset(self.request.user).order_by("-raised_at", "-id")


@extend_schema_view(
    get=extend_schema(
        operation_id="nonconformities_retrieve",
        summary="One nonconformity",
        description="404 for one the caller may not see.",
        responses={200: NonconformitySerializer, **_error_responses(404)},
        tags=NC_TAGS,
    )
)
class NonconformityDetail(generics.RetrieveAPIView):
    serializer_class = NonconformitySerializer

    def get_queryset(self):
        return nonconformities_queryset(self.request.user)


class _Action(ABC, APIView):
    """A step on a record the caller may see: the input checked, the service called, the
    record answered as it is now."""

    input_serializer: type[serializers.Serializer]
    output_serializer: type[serializers.Serializer]
    errors: tuple[type[Exception], ...]

    @abstractmethod
    def records(self):
        """The records the caller may act on (others answer 404)."""

    @abstractmethod
    def perform(self, record, values):
        """Call the action's service for `record` with the checked `values`."""

    def post(self, request, pk: int):
        record = generics.get_object_or_404(self.records(), pk=pk)
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            self.perform(record, data.validated_data)
        except self.errors as error:
            return service_error_response(error)
        record = self.records().get(pk=record.pk)
        return Response(self.output_serializer(record, context={"request": request}).data)


class _NonconformityAction(_Action):
    output_serializer = NonconformitySerializer
    errors = (nc_services.NonconformityError,)

    def records(self):
        return nonconformities_queryset(self.request.user)


class NonconformityAnswer(_NonconformityAction):
    input_serializer = NonconformityAnswerSerializer

    @extend_schema(
        operation_id="nonconformities_answer",
        summary="Record the corrective action",
        description="The owner, or the head of the nonconformity's department, records the "
        "root cause, the correction, the corrective and preventive actions and the due date "
        "(today to a year ahead); an auditor is then asked to verify. 403 for anyone else who "
        "may see it; 409 unless it is open.",
        request=NonconformityAnswerSerializer,
        responses={200: NonconformitySerializer, **_error_responses(400, 403, 404, 409)},
        tags=NC_TAGS,
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, record, values):
        nc_services.nc_answer(
            actor=self.request.user,
            nonconformity=record,
            root_cause=values["root_cause"],
            correction=values["correction"],
            corrective_action=values["corrective_action"],
            preventive_action=values.get("preventive_action", ""),
            due_date=values["due_date"],
        )


class NonconformityVerify(_NonconformityAction):
    input_serializer = NonconformityVerifySerializer

    @extend_schema(
        operation_id="nonconformities_verify",
        summary="Verify the corrective action",
        description="An auditor other than the one who recorded the action judges it: "
        "effective closes the nonconformity, not effective (with a note) sends it back to its "
        "owner. 403 for anyone else; 409 unless an action is waiting for verification.",
        request=NonconformityVerifySerializer,
        responses={200: NonconformitySerializer, **_error_responses(400, 403, 404, 409)},
        tags=NC_TAGS,
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, record, values):
        nc_services.nc_verify(
            actor=self.request.user,
            nonconformity=record,
            effective=values["effective"],
            note=values.get("note", ""),
        )


# --- Complaints ----------------------------------------------------------------------------------

COMPLAINT_TAGS = ["quality: complaints"]


def _complaint_overdue(now: dt.datetime) -> Q:
    return Q(respond_by__lt=now, first_answered_at__isnull=True) & ~Q(
        status=Complaint.Status.CLOSED
    )


def complaints_queryset(user):
    return (
        complaints_for(user)
        .annotate(is_overdue=_flag(_complaint_overdue(timezone.now())))
        .select_related("category", "department", "campus", "complainant", "assignee")
    )


@extend_schema_view(
    get=extend_schema(
        operation_id="complaint_categories_list",
        summary="List the complaint categories",
        description="The categories a complaint may be filed under, with the department that "
        "answers and within how many hours. `name` is in the language of the request.",
        tags=COMPLAINT_TAGS,
    )
)
class ComplaintCategoryList(generics.ListAPIView):
    serializer_class = ComplaintCategorySerializer
    filter_backends = []

    def get_queryset(self):
        return (
            ComplaintCategory.objects.filter(is_active=True)
            .select_related("department")
            .order_by("position", "code")
        )


class ComplaintFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Complaint.Status.choices, label=_("status"))
    channel = django_filters.ChoiceFilter(choices=Complaint.Channel.choices, label=_("channel"))
    mine = django_filters.BooleanFilter(
        method="filter_mine",
        label=_("mine"),
        help_text="true: only the caller's own complaints (as the complainant).",
    )

    class Meta:
        model = Complaint
        fields = ["status", "channel", "mine"]

    def filter_mine(self, queryset, name, value):
        if value is None:
            return queryset
        own = Q(complainant_id=self.request.user.pk)
        return queryset.filter(own if value else ~own)


@extend_schema_view(
    get=extend_schema(
        operation_id="complaints_list",
        summary="List complaints",
        description="The newest first: the caller's own complaints and, for staff, those "
        "they handle (auditors all, a department head their departments', others those given "
        "to them). An anonymous complaint shows no complainant to staff.",
        responses={200: ComplaintSerializer(many=True), **_error_responses(400)},
        tags=COMPLAINT_TAGS,
    )
)
class ComplaintListCreate(generics.ListAPIView):
    serializer_class = ComplaintSerializer
    filterset_class = ComplaintFilter

    def get_queryset(self):
        return complaints_queryset(self.request.user).order_by("-received_at", "-id")

    @extend_schema(
        operation_id="complaints_create",
        summary="File a complaint or suggestion",
        description="Any signed-in user files a web complaint, routed to the category's "
        "department, which answers within the category's hours. `anonymous`: the staff who "
        "handle it never see who filed it (the caller still follows it here). The same "
        "complaint sent twice within two minutes gives the first back. 400 for an unknown or "
        "retired category, an unknown campus code, or a subject or text that is empty once "
        "trimmed.",
        request=ComplaintCreateSerializer,
        responses={201: ComplaintSerializer, **_error_responses(400)},
        tags=COMPLAINT_TAGS,
    )
    def post(self, request):
        data = ComplaintCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            complaint = complaint_services.complaint_submit(
                actor=request.user,
                category=values["category"],
                subject=values["subject"],
                text=values["text"],
                campus=values.get("campus"),
                anonymous=values.get("anonymous", False),
            )
        except complaint_services.ComplaintError as error:
            return service_error_response(error)
        complaint = complaints_queryset(request.user).get(pk=complaint.pk)
        return Response(
            ComplaintSerializer(complaint, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema_view(
    get=extend_schema(
        operation_id="complaints_retrieve",
        summary="One complaint",
        description="404 for one the caller may not see.",
        responses={200: ComplaintSerializer, **_error_responses(404)},
        tags=COMPLAINT_TAGS,
    )
)
class ComplaintDetail(generics.RetrieveAPIView):
    serializer_class = ComplaintSerializer

    def get_queryset(self):
        return complaints_queryset(self.request.user)


class ComplaintFeedback(_Action):
    input_serializer = ComplaintFeedbackSerializer
    output_serializer = ComplaintSerializer
    errors = (complaint_services.ComplaintError,)

    def records(self):
        return complaints_queryset(self.request.user)

    @extend_schema(
        operation_id="complaints_feedback",
        summary="Say whether the answer satisfied you",
        description="The complainant, once per answer: satisfied closes the complaint; not "
        "satisfied sends it back to be answered again. 403 for anyone but the complainant; "
        "409 when there is no new answer to judge.",
        request=ComplaintFeedbackSerializer,
        responses={200: ComplaintSerializer, **_error_responses(400, 403, 404, 409)},
        tags=COMPLAINT_TAGS,
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, record, values):
        complaint_services.complaint_feedback(
            actor=self.request.user,
            complaint=record,
            satisfied=values["satisfied"],
            feedback=values.get("feedback", ""),
        )
