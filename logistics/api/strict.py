"""Request bodies taken at their JSON types.

DRF coerces: a CharField takes `0` as "0", a BooleanField takes `1`, `"yes"` or `"on"`, an
IntegerField takes `"12"`. The API's bodies are JSON only and its schema says which JSON type
each field has; a value of another type is a client's mistake, answered 400 like any other bad
value, not guessed at (schemathesis sends such values and expects them refused).
"""

from collections.abc import Mapping

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.relations import PrimaryKeyRelatedField


def _json_type_problem(field: serializers.Field, value) -> str | None:
    if value is None:
        return None  # the field's allow_null decides
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else _("Must be true or false.")
    if isinstance(field, serializers.CharField):
        return None if isinstance(value, str) else _("Must be a string.")
    if isinstance(field, serializers.IntegerField | PrimaryKeyRelatedField):
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else _("Must be an integer.")
    return None


class StrictSerializer(serializers.Serializer):
    """A request serializer that refuses a value of the wrong JSON type for its strings,
    booleans, integers and ids (with the field's name, like DRF's own errors)."""

    def to_internal_value(self, data):
        # (Multipart bodies, the ticket photos' upload, carry every value as text.)
        if isinstance(data, Mapping) and not isinstance(data, QueryDict):
            errors = {}
            for name, field in self.fields.items():
                if field.read_only or name not in data:
                    continue
                problem = _json_type_problem(field, data[name])
                if problem:
                    errors[name] = [problem]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)
