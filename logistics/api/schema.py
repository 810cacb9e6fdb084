"""The OpenAPI description (drf-spectacular) with the errors every endpoint can answer.

A view's `@extend_schema(responses=...)` states what is particular to it (a 409 when a ticket's
state forbids a step, a 404 with a `code`). What follows from the API's ground rules is added
here to every operation it applies to, so that no endpoint forgets one:

- 401: no credentials, or a token that is not valid (every endpoint but the token's own);
- 403: the caller's role does not allow the endpoint (views with a role permission), or a
  browser session's write without its CSRF token (every POST, PUT, PATCH, DELETE);
- 404: nothing by that id among what the caller may see (paths with a parameter), or a page
  past the last (paginated lists);
- 400: malformed input: the body, a filter, `page` or `page_size` (`errors` names them);
- 415: a body in another media type than the operation declares;
- 429: too many requests (throttled endpoints).

All of them come as `ApiError`: `{"detail": "…", "errors": {field: ["…"]}}` (logistics.api.errors).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, serializers
from rest_framework.authentication import SessionAuthentication


class ApiErrorSerializer(serializers.Serializer):
    """The shape of every error the API answers (logistics.api.errors.exception_handler)."""

    detail = serializers.CharField(help_text=_("A readable message, in the caller's language."))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=_(
            "Validation errors only: the messages by field or query parameter "
            "(`non_field_errors` for the request as a whole)."
        ),
    )


# Permissions that every authenticated caller passes: they add no 403 of their own.
_OPEN_PERMISSIONS = (permissions.AllowAny, permissions.IsAuthenticated)
_UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class PortalAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, plus the ground rules' errors (module docstring)."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code, description in self._ground_rule_errors().items():
            if code not in responses:
                response = OpenApiResponse(ApiErrorSerializer, description=description)
                responses[code] = self._get_response_for_code(response, code)
        return dict(sorted(responses.items()))

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # DRF trims text before it checks it, so "   " is as blank as "": a required text
        # needs a character that is not a space, and the description says so.
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and field.trim_whitespace
            and not field.allow_blank
            and schema.get("type") == "string"
            and "pattern" not in schema
        ):
            schema["pattern"] = r"\S"
        return schema

    def _ground_rule_errors(self) -> dict[str, str]:
        errors: dict[str, list[str]] = {}

        def add(code: int, description: str) -> None:
            errors.setdefault(str(code), []).append(description)

        checks = self.view.get_permissions()
        if not all(isinstance(check, permissions.AllowAny) for check in checks):
            add(401, "No credentials, or a token that is not valid.")
        if any(not isinstance(check, _OPEN_PERMISSIONS) for check in checks):
            add(403, "The caller's role does not allow this.")
        unsafe = self.method in _UNSAFE_METHODS
        if unsafe and any(
            isinstance(auth, SessionAuthentication) for auth in self.view.get_authenticators()
        ):
            add(403, "A browser session's write without its CSRF token.")
        if "{" in self.path:
            add(404, "Nothing by that id among what the caller may see.")
        paginated = self._is_list_view() and self._get_paginator() is not None
        if paginated:
            add(404, "A page past the last.")
        if unsafe and self.get_request_serializer() is not None:
            add(400, "Bad input: `errors` names the fields.")
            add(415, "A body in another media type than those declared.")
        if paginated or self._get_filter_parameters():
            add(400, "A malformed query parameter (`page`, `page_size` or a filter).")
        if self.view.get_throttles():
            add(429, "Too many requests: try again later.")
        return {code: " ".join(descriptions) for code, descriptions in errors.items()}
