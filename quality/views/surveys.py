"""The answering page of a survey (/s/<token>/, no login: the token is the key), the person's
own open surveys, and the survey results for the quality department and department heads."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from quality import surveys
from quality.models import SurveyInvitation, SurveyQuestion


def _form_answers(request, questions) -> dict:
    answers = {}
    for question in questions:
        value = request.POST.get(f"q_{question.key}", "")
        if question.kind == SurveyQuestion.Kind.STARS and value.isdigit():
            value = int(value)
        elif value == "":
            value = None
        answers[question.key] = value
    return answers


def _closed(request, template_status, status, invitation=None):
    return render(
        request,
        "quality/surveys/closed.html",
        {"state": template_status, "invitation": invitation},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def survey_answer(request, token: str):
    """The survey behind a token, phone-first; its answer once, with CSRF on the form."""
    try:
        invitation = surveys.invitation_by_token(token)
    except surveys.NoSuchInvitation:
        raise Http404 from None
    if invitation.status == SurveyInvitation.Status.ANSWERED:
        return _closed(request, "answered", 409 if request.method == "POST" else 200)
    if invitation.status == SurveyInvitation.Status.OPTED_OUT:
        return _closed(request, "declined", 200)
    if surveys.is_expired(invitation):
        return _closed(request, "expired", 410)
    questions = surveys.questions_of(invitation.version)
    error, values, status = None, {}, 200
    if request.method == "POST":
        values = _form_answers(request, questions)
        try:
            surveys.answer(token, values)
        except surveys.AnswerInvalid as refusal:
            error, status = refusal, 400
        except surveys.AlreadyAnswered:
            return _closed(request, "answered", 409)
        except surveys.InvitationExpired:
            return _closed(request, "expired", 410)
        else:
            return _closed(request, "thanks", 200)
    for question in questions:
        question.value = values.get(question.key)
        question.error = error is not None and error.field == question.key
    return render(
        request,
        "quality/surveys/answer.html",
        {
            "invitation": invitation,
            "questions": questions,
            "error": error,
            "stars": range(1, 6),
        },
        status=status,
    )


@require_POST
def survey_decline(request, token: str):
    try:
        surveys.decline(token)
    except surveys.NoSuchInvitation:
        raise Http404 from None
    except surveys.AlreadyAnswered:
        return _closed(request, "answered", 409)
    return _closed(request, "declined", 200)


@login_required
def my_surveys(request):
    """The person's surveys waiting for an answer (also in their inbox)."""
    return render(
        request,
        "quality/surveys/mine.html",
        {"invitations": surveys.open_invitations_of(request.user)},
    )
