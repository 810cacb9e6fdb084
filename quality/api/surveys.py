"""The surveys and scorecards API under /api/v1/ (CONTRACT.md "Satisfaction surveys",
"Scorecards"):

- `GET /surveys/mine/`: the caller's open invitations `[{"token", "survey", "about",
  "expires_at"}]`;
- `GET /surveys/answer/<token>/`: the survey behind a token, no login; `POST` the same URL
  `{"answers": {"<key>": value}}` → 201; once (again 409), unknown 404, expired 410, a missing
  required answer or stars outside 1–5 400. The token is the key: no session, no CSRF;
- `GET /scorecards/?period=YYYY-MM` (or YYYY-S1/S2): the period's department scorecards, for
  auditors and the leadership; a department head gets their departments; others 403.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from logistics.api.schema import ApiErrorSerializer
from logistics.api.strict import StrictSerializer
from quality import scorecards, surveys


def _refusal(error) -> Response:
    field = error.field or "non_field_errors"
    body = {"detail": error.message}
    if error.status_code == 400:
        body["errors"] = {field: [error.message]}
    return Response(body, status=error.status_code)


class InvitationSerializer(serializers.Serializer):
    token = serializers.CharField()
    survey = serializers.CharField()
    about = serializers.CharField()
    expires_at = serializers.DateTimeField()


class ChoiceSerializer(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.CharField()


class QuestionSerializer(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.CharField()
    kind = serializers.ChoiceField(choices=["stars", "choice", "text"])
    required = serializers.BooleanField()
    choices = ChoiceSerializer(many=True, required=False, help_text="For a choice only.")
    dimension = serializers.CharField(allow_blank=True)


class SurveySerializer(serializers.Serializer):
    survey = serializers.CharField()
    about = serializers.CharField()
    questions = QuestionSerializer(many=True)


class AnswerSerializer(StrictSerializer):
    answers = serializers.DictField(
        help_text="The answers by question key: stars 1–5 (an integer), a choice's key, text."
    )


class MySurveys(APIView):
    @extend_schema(
        operation_id="surveys_mine",
        summary="My open survey invitations",
        responses={200: InvitationSerializer(many=True)},
    )
    def get(self, request):
        return Response(
            [
                {
                    "token": inv.token,
                    "survey": inv.version.template.display_name,
                    "about": inv.display_about,
                    "expires_at": surveys.expires_at(inv).isoformat(),
                }
                for inv in surveys.open_invitations_of(request.user)
            ]
        )


def _errors(*codes):
    descriptions = {
        400: "A required answer is missing, or stars are outside 1–5.",
        404: "No survey has this token.",
        409: "This token has already answered (or the person declined the survey).",
        410: "The survey has closed.",
    }
    return {
        code: OpenApiResponse(ApiErrorSerializer, description=descriptions[code]) for code in codes
    }


class SurveyAnswer(APIView):
    """No login: the token in the URL is the key. No session either, so no CSRF check: a
    browser's cookies give nothing here."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="surveys_answer_retrieve",
        summary="The survey behind a token (no login)",
        auth=[],
        responses={200: SurveySerializer, **_errors(404, 410)},
    )
    def get(self, request, token: str):
        try:
            invitation = surveys.invitation_by_token(token)
        except surveys.SurveyError as error:
            return _refusal(error)
        if invitation.status != invitation.Status.ANSWERED and surveys.is_expired(invitation):
            return _refusal(surveys.InvitationExpired())
        questions = []
        for question in surveys.questions_of(invitation.version):
            row = {
                "key": question.key,
                "text": question.display_text,
                "kind": question.kind,
                "required": question.required,
                "dimension": question.dimension,
            }
            if question.kind == question.Kind.CHOICE:
                row["choices"] = question.choice_list()
            questions.append(row)
        return Response(
            {
                "survey": invitation.version.template.display_name,
                "about": invitation.display_about,
                "questions": questions,
            }
        )

    @extend_schema(
        operation_id="surveys_answer_create",
        summary="Answer the survey behind a token (no login)",
        auth=[],
        request=AnswerSerializer,
        responses={
            201: inline_serializer("SurveyAnswered", {"detail": serializers.CharField()}),
            **_errors(400, 404, 409, 410),
        },
    )
    def post(self, request, token: str):
        serializer = AnswerSerializer(data=request.data)
        if not serializer.is_valid():
            # An unknown token is 404 whatever the body.
            try:
                surveys.invitation_by_token(token)
            except surveys.SurveyError as error:
                return _refusal(error)
            serializer.is_valid(raise_exception=True)
        try:
            surveys.answer(token, serializer.validated_data["answers"])
        except surveys.SurveyError as error:
            return _refusal(error)
        return Response({"detail": _("Thank you!")}, status=status.HTTP_201_CREATED)


class ComponentSerializer(serializers.Serializer):
    score = serializers.FloatField(allow_null=True)
    weight = serializers.FloatField()
    n = serializers.IntegerField()


class ScorecardSerializer(serializers.Serializer):
    department = serializers.IntegerField()
    period = serializers.CharField()
    score = serializers.FloatField(allow_null=True)
    components = serializers.DictField(child=ComponentSerializer())


class ScorecardList(APIView):
    @extend_schema(
        operation_id="scorecards_list",
        summary="Department scorecards of a period",
        parameters=[
            OpenApiParameter(
                "period",
                str,
                required=True,
                description="A month (YYYY-MM) or a semester (YYYY-S1, YYYY-S2).",
                pattern=r"^[1-9][0-9]{3}-(0[1-9]|1[0-2]|S[12])$",
            )
        ],
        responses={
            200: ScorecardSerializer(many=True),
            400: OpenApiResponse(ApiErrorSerializer, description="A malformed period."),
            403: OpenApiResponse(
                ApiErrorSerializer,
                description="Only auditors, the leadership and department heads.",
            ),
        },
    )
    def get(self, request):
        scope = scorecards.departments_visible(request.user)
        if scope is not None and not scope:
            raise PermissionDenied(_("Only auditors, the leadership and department heads."))
        try:
            cards = scorecards.scorecards_for(request.user, request.query_params.get("period", ""))
        except scorecards.ScorecardError as error:
            return _refusal(error)
        return Response([scorecards.as_json(card) for card in cards])
