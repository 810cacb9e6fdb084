from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from logistics.alerts import alert_text, subject_field
from logistics.api.strict import StrictSerializer
from logistics.models import Alert, Campus, Department, Role


class TokenRequestSerializer(StrictSerializer):
    username = serializers.CharField(max_length=150, label=_("username"))
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, label=_("password"), style={"input_type": "password"}
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class GrantSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
    role_label = serializers.CharField()
    campus = serializers.CharField(allow_null=True)
    department = serializers.CharField(allow_null=True)


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    roles = GrantSerializer(many=True)


class CampusSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name")

    class Meta:
        model = Campus
        fields = ["id", "code", "name"]


class DepartmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name")
    service_areas = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Department
        fields = ["id", "code", "name", "service_areas"]


class AlertSerializer(serializers.ModelSerializer):
    """An alert as CONTRACT.md has it (ids; null where they do not apply), with its state."""

    date = serializers.DateField(source="for_date", allow_null=True)
    campus = serializers.IntegerField(source="campus_id", allow_null=True)
    building = serializers.SerializerMethodField()
    canteen = serializers.SerializerMethodField()
    subject = serializers.SerializerMethodField(help_text="What it is about, readable.")
    message = serializers.SerializerMethodField()
    resolved_by = serializers.SerializerMethodField(help_text="Username; null if the system.")

    class Meta:
        model = Alert
        fields = [
            "id",
            "kind",
            "severity",
            "date",
            "campus",
            "building",
            "canteen",
            "subject",
            "message",
            "url",
            "created_at",
            "last_seen_at",
            "times_seen",
            "resolved_at",
            "resolved_by",
            "resolution_note",
        ]

    def _subject_id(self, alert, field) -> int | None:
        return alert.subject_id if subject_field(alert) == field else None

    def get_building(self, alert) -> int | None:
        return self._subject_id(alert, "building")

    def get_canteen(self, alert) -> int | None:
        return self._subject_id(alert, "canteen")

    def get_subject(self, alert) -> str | None:
        return str(alert.subject) if alert.subject is not None else None

    def get_message(self, alert) -> str:
        return alert_text(alert)

    def get_resolved_by(self, alert) -> str | None:
        return alert.resolved_by.username if alert.resolved_by else None


class AlertResolveSerializer(StrictSerializer):
    note = serializers.CharField(
        max_length=2000, label=_("note"), help_text="What was done about it (required)."
    )


class AlertErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )
