from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from logistics.models import Campus, Department, Role


class TokenRequestSerializer(serializers.Serializer):
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
