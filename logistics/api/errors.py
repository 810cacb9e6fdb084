"""Every API error is JSON with a readable `detail`; validation errors add `errors` by field."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a server error: Django's handler500 answers, in JSON for the API
    if isinstance(exc, exceptions.ValidationError):
        errors = response.data
        if isinstance(errors, list):
            errors = {"non_field_errors": errors}
        errors = _flat(errors)
        response.data = {"detail": _first_message(errors) or _("Invalid input."), "errors": errors}
    elif not isinstance(response.data, dict) or "detail" not in response.data:
        response.data = {"detail": str(exc)}
    return response


def _flat(errors, prefix: str = "") -> dict[str, list[str]]:
    """DRF's errors as the API describes them, {field: [messages]}: an error inside a nested
    serializer or a list is named by its path ("items.1.item"), not nested as DRF gives it."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        entries = errors.items()
    elif isinstance(errors, list) and any(isinstance(e, dict | list) for e in errors):
        entries = enumerate(errors)  # a list serializer's lines ({} for a good one)
    else:
        messages = errors if isinstance(errors, list) else [errors]
        return {prefix or "non_field_errors": [str(m) for m in messages]}
    for key, value in entries:
        if value in ({}, []):
            continue
        flat.update(_flat(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def _first_message(errors) -> str:
    """The first message of a (nested) DRF error structure, prefixed by its field."""
    if isinstance(errors, dict):
        for field, value in errors.items():
            message = _first_message(value)
            if message:
                return message if field == "non_field_errors" else f"{field}: {message}"
    elif isinstance(errors, list):
        for value in errors:
            message = _first_message(value)
            if message:
                return message
    elif errors:
        return str(errors)
    return ""


def json_not_found(request):
    return JsonResponse({"detail": _("Not found.")}, status=404)


def json_server_error(request):
    return JsonResponse({"detail": _("A server error occurred.")}, status=500)
