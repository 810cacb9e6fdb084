"""Serializers of the apartments API. Check-ins first; list serializers are appended below."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apartments.models import Category, Gender, Stay
from logistics.api.strict import StrictSerializer

# --- Check-ins (POST /api/v1/check-ins/, CONTRACT.md "Move-in day") ---


class CheckInRequestSerializer(StrictSerializer):
    student_id = serializers.CharField(
        max_length=30, label=_("student id"), help_text=_("The resident's student id.")
    )
    bed = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        label=_("bed"),
        help_text=_(
            "A bed id. Without it: the bed reserved for the resident, else a free bed that "
            "fits them in the caller's buildings."
        ),
    )
    key_issued = serializers.BooleanField(required=False, default=True, label=_("key handed over"))
    kit_issued = serializers.BooleanField(
        required=False, default=True, label=_("bedding kit handed over")
    )


class CheckInResidentSerializer(serializers.Serializer):
    student_id = serializers.CharField()
    name = serializers.CharField()
    gender = serializers.ChoiceField(choices=Gender.choices)
    category = serializers.ChoiceField(choices=Category.choices)
    college = serializers.CharField()


class CheckInPlaceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField(source="display_name")


class CheckInRoomSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    floor = serializers.IntegerField()


class CheckInBedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    label = serializers.CharField(source="__str__", help_text=_("Building-room-bed."))


# A plain serializer with the stay's fields spelled out, as a ModelSerializer with
# read_only_fields described them: a ModelSerializer builds its fields from the model again for
# every answer, a third of this one's cost (docs/performance.md, "Fifth pass").
class CheckInSerializer(serializers.Serializer):
    """A check-in done: the active stay with where it is."""

    id = serializers.IntegerField(read_only=True)
    student_id = serializers.CharField(source="resident.student_id")
    name = serializers.CharField(source="resident.name")
    resident = CheckInResidentSerializer()
    campus = CheckInPlaceSerializer(source="bed.room.building.campus")
    building = CheckInPlaceSerializer(source="bed.room.building")
    room = CheckInRoomSerializer(source="bed.room")
    bed = CheckInBedSerializer()
    status = serializers.ChoiceField(
        choices=Stay.Status.choices,
        read_only=True,
        label=Stay._meta.get_field("status").verbose_name,
    )
    checked_in_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        label=Stay._meta.get_field("checked_in_at").verbose_name,
    )
    key_issued = serializers.BooleanField(
        read_only=True, label=Stay._meta.get_field("key_issued").verbose_name
    )
    kit_issued = serializers.BooleanField(
        read_only=True, label=Stay._meta.get_field("kit_issued").verbose_name
    )


class CheckInErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=_("A readable message, in the caller's language."))
    code = serializers.CharField(
        help_text=_(
            "resident_not_found, bed_not_found (404); already_checked_in, bed_taken, "
            "no_free_bed, wrong_building (409)."
        )
    )


class CheckInValidationErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=_("The first problem, prefixed by its field."))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=_("Every problem, by field (absent when the body is not even JSON)."),
    )
