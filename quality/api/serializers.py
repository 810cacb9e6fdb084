"""Serializers of the quality API: inspection records, nonconformities, complaints."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from logistics.api.strict import StrictSerializer
from logistics.models import Campus
from logistics.uploads import SignedPhotoUrlField
from quality import complaints as complaint_services
from quality import nonconformities as nc_services
from quality.models import (
    Complaint,
    ComplaintCategory,
    Inspection,
    InspectionAnswer,
    Nonconformity,
)
from quality.selectors import shows_complainant

PHOTO_HELP = _(
    "The photo's signed URL for the caller: opens without a session or token for a limited "
    "time (15 minutes by default); null when there is none."
)


def _name(user) -> str | None:
    return user.display_name if user is not None else None


# --- Inspection records ------------------------------------------------------------------------


class InspectionAnswerSerializer(serializers.ModelSerializer):
    item = serializers.IntegerField(source="item_id")
    item_text = serializers.CharField(
        source="item.display_text", help_text=_("The requirement, in the request's language.")
    )
    item_text_zh = serializers.CharField(source="item.text")
    rule = serializers.CharField(source="item.rule", help_text="score or pass_fail")
    weight = serializers.DecimalField(source="item.weight", max_digits=5, decimal_places=2)
    max_score = serializers.IntegerField(source="item.max_score")
    servqual = serializers.CharField(source="item.servqual")
    characteristic = serializers.CharField(source="item.characteristic")
    photo = SignedPhotoUrlField(source="photo_id", allow_null=True, help_text=PHOTO_HELP)

    class Meta:
        model = InspectionAnswer
        fields = [
            "item",
            "item_text",
            "item_text_zh",
            "rule",
            "weight",
            "max_score",
            "servqual",
            "characteristic",
            "result",
            "score",
            "comment",
            "photo",
        ]
        read_only_fields = fields


class InspectionSerializer(serializers.ModelSerializer):
    number = serializers.CharField()
    checklist = serializers.CharField(source="version.checklist.code")
    checklist_version = serializers.IntegerField(source="version.number")
    area = serializers.CharField(source="area.code")
    department = serializers.CharField(source="department.code")
    department_name = serializers.CharField(source="department.display_name")
    campus = serializers.CharField(source="campus.code", allow_null=True, default=None)
    auditor = serializers.CharField(source="auditor.display_name")
    amends = serializers.IntegerField(source="amends_id", allow_null=True)
    answers = InspectionAnswerSerializer(many=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "number",
            "checklist",
            "checklist_version",
            "area",
            "department",
            "department_name",
            "campus",
            "place",
            "auditor",
            "note",
            "submitted_at",
            "score",
            "sequence",
            "previous_seal",
            "seal",
            "amends",
            "amendment_reason",
            "answers",
        ]
        read_only_fields = fields


# --- Nonconformities ---------------------------------------------------------------------------


class NonconformitySerializer(serializers.ModelSerializer):
    number = serializers.CharField()
    department = serializers.CharField(source="department.code")
    department_name = serializers.CharField(source="department.display_name")
    campus = serializers.CharField(source="campus.code", allow_null=True, default=None)
    inspection = serializers.IntegerField(source="inspection_id", allow_null=True)
    complaint = serializers.IntegerField(source="complaint_id", allow_null=True)
    raised_by = serializers.SerializerMethodField()
    owner = serializers.SerializerMethodField()
    answered_by = serializers.SerializerMethodField()
    verified_by = serializers.SerializerMethodField()
    evidence = SignedPhotoUrlField(source="evidence_id", allow_null=True, help_text=PHOTO_HELP)
    is_overdue = serializers.BooleanField(help_text=_("Still open and past its action due date."))

    class Meta:
        model = Nonconformity
        fields = [
            "id",
            "number",
            "source",
            "inspection",
            "complaint",
            "department",
            "department_name",
            "campus",
            "severity",
            "title",
            "description",
            "evidence",
            "raised_by",
            "raised_at",
            "owner",
            "status",
            "is_overdue",
            "root_cause",
            "correction",
            "corrective_action",
            "preventive_action",
            "due_date",
            "answered_at",
            "answered_by",
            "verification_note",
            "verified_at",
            "verified_by",
            "times_rejected",
            "closed_at",
        ]
        read_only_fields = fields

    def get_raised_by(self, nc) -> str:
        return nc.raised_by.display_name

    def get_owner(self, nc) -> str | None:
        return _name(nc.owner)

    def get_answered_by(self, nc) -> str | None:
        return _name(nc.answered_by)

    def get_verified_by(self, nc) -> str | None:
        return _name(nc.verified_by)


class NonconformityAnswerSerializer(StrictSerializer):
    root_cause = serializers.CharField(
        max_length=nc_services.TEXT_MAX_LENGTH, label=_("root cause")
    )
    correction = serializers.CharField(
        max_length=nc_services.TEXT_MAX_LENGTH, label=_("correction")
    )
    corrective_action = serializers.CharField(
        max_length=nc_services.TEXT_MAX_LENGTH, label=_("corrective action")
    )
    preventive_action = serializers.CharField(
        max_length=nc_services.TEXT_MAX_LENGTH,
        required=False,
        allow_blank=True,
        label=_("preventive action"),
    )
    due_date = serializers.DateField(
        label=_("action due"), help_text=_("YYYY-MM-DD; from today to a year ahead.")
    )


class NonconformityVerifySerializer(StrictSerializer):
    effective = serializers.BooleanField(
        label=_("effective"),
        help_text=_("true closes the nonconformity; false sends it back to its owner."),
    )
    note = serializers.CharField(
        max_length=nc_services.TEXT_MAX_LENGTH,
        required=False,
        allow_blank=True,
        label=_("note"),
        help_text=_("Required when the action was not effective."),
    )


# --- Complaints --------------------------------------------------------------------------------


class ComplaintCategorySerializer(serializers.ModelSerializer):
    name = serializers.CharField(
        source="display_name", help_text=_("The name in the language of the request.")
    )
    name_zh = serializers.CharField(source="name")
    department = serializers.CharField(source="department.code")
    department_name = serializers.CharField(source="department.display_name")

    class Meta:
        model = ComplaintCategory
        fields = [
            "code",
            "name",
            "name_zh",
            "name_en",
            "department",
            "department_name",
            "response_hours",
        ]
        read_only_fields = fields


class ComplaintSerializer(serializers.ModelSerializer):
    """A complaint as the caller may see it: the complainant and their contact details only
    when the complaint is not anonymous, or to the complainant themselves."""

    number = serializers.CharField()
    category = serializers.CharField(source="category.code")
    category_name = serializers.CharField(source="category.display_name")
    department = serializers.CharField(source="department.code")
    department_name = serializers.CharField(source="department.display_name")
    campus = serializers.CharField(source="campus.code", allow_null=True, default=None)
    is_overdue = serializers.BooleanField(
        help_text=_("Past its answer-due time without an answer.")
    )
    complainant = serializers.SerializerMethodField()
    contact_name = serializers.SerializerMethodField()
    contact_phone = serializers.SerializerMethodField()
    handled_by = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = [
            "id",
            "number",
            "channel",
            "category",
            "category_name",
            "department",
            "department_name",
            "campus",
            "subject",
            "text",
            "anonymous",
            "complainant",
            "contact_name",
            "contact_phone",
            "received_at",
            "respond_by",
            "status",
            "is_overdue",
            "handled_by",
            "answer",
            "first_answered_at",
            "answered_at",
            "satisfied",
            "feedback",
            "closed_at",
        ]
        read_only_fields = fields

    def _shown(self, complaint) -> bool:
        user = self.context["request"].user
        return shows_complainant(user, complaint)

    def get_complainant(self, complaint) -> str | None:
        if complaint.complainant_id is None or not self._shown(complaint):
            return None
        return complaint.complainant.display_name

    def get_contact_name(self, complaint) -> str:
        return complaint.contact_name if self._shown(complaint) else ""

    def get_contact_phone(self, complaint) -> str:
        return complaint.contact_phone if self._shown(complaint) else ""

    def get_handled_by(self, complaint) -> str | None:
        return _name(complaint.assignee)


class ComplaintCreateSerializer(StrictSerializer):
    category = serializers.SlugRelatedField(
        slug_field="code",
        queryset=ComplaintCategory.objects.filter(is_active=True).select_related("department"),
        label=_("category"),
        help_text=_("A category code from /api/v1/complaint-categories/."),
    )
    subject = serializers.CharField(
        max_length=complaint_services.SUBJECT_MAX_LENGTH, label=_("subject")
    )
    text = serializers.CharField(max_length=complaint_services.TEXT_MAX_LENGTH, label=_("text"))
    campus = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Campus.objects.all(),
        required=False,
        allow_null=True,
        label=_("campus"),
        help_text=_("A campus code; optional."),
    )
    anonymous = serializers.BooleanField(
        required=False,
        default=False,
        label=_("anonymous"),
        help_text=_("true: the staff who handle it never see who filed it."),
    )


class ComplaintFeedbackSerializer(StrictSerializer):
    satisfied = serializers.BooleanField(label=_("satisfied"))
    feedback = serializers.CharField(
        max_length=complaint_services.FEEDBACK_MAX_LENGTH,
        required=False,
        allow_blank=True,
        label=_("feedback"),
    )


class QualityErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=_("A readable message, in the caller's language."))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=_("The problems by field."),
    )
