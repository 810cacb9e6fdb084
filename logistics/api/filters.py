"""List filters read as the OpenAPI description declares them (DEFAULT_FILTER_BACKENDS).

django-filter is lenient where a client deserves to hear that it asked for nothing: it takes
the last of a repeated parameter, ignores a boolean it cannot read (`?mine=yes` lists
everything), reads an empty date or choice as "no filter" and a decimal where the field is a
whole number. Here each of those answers 400 naming the parameter, like every other bad input
(docs/architecture.md, "The API").
"""

from __future__ import annotations

import re

import django_filters
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import get_model_field
from rest_framework.exceptions import ValidationError

_WHOLE_NUMBER = re.compile(r"-?[0-9]+")
_BOOLEANS = ("true", "false")


class StrictFilterBackend(DjangoFilterBackend):
    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            errors = {
                name: [problem]
                for name, item in filterset.filters.items()
                if (problem := _problem(filterset, item, request.query_params.getlist(name)))
            }
            if errors:
                raise ValidationError(errors)
        return filterset


def _problem(filterset, item: django_filters.Filter, values: list[str]) -> str | None:
    """What is wrong with the values given for one filter, or None."""
    if not values:
        return None
    if len(values) > 1:
        return _("Give this parameter once.")
    (value,) = values
    if isinstance(item, django_filters.CharFilter | django_filters.ModelChoiceFilter):
        return None  # declared as text: any text, the empty one included ("no filter")
    if value == "":
        return _("A value is required.")
    if isinstance(item, django_filters.BooleanFilter) and value not in _BOOLEANS:
        return _("true or false is required.")
    whole = isinstance(item, django_filters.NumberFilter) and _is_whole_number(filterset, item)
    if whole and not _WHOLE_NUMBER.fullmatch(value):
        return _("A whole number is required.")
    return None


def _is_whole_number(filterset, item: django_filters.Filter) -> bool:
    field = get_model_field(filterset._meta.model, item.field_name)
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    return isinstance(field, models.IntegerField | models.AutoField)
