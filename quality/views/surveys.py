"""The answering page of a survey (/s/<token>/, no login: the token is the key), the person's
own open surveys, and the survey results for the quality department and department heads."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
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


# --- Results (auditors: everything; a department head: their departments) ----------------------


def _scope_or_404(request):
    from quality.scorecards import departments_visible

    if not request.user.is_authenticated:
        return None
    scope = departments_visible(request.user)
    if scope is not None and not scope:
        raise Http404
    return scope


def _int(request, name):
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


def _date(request, name):
    import datetime as dt

    try:
        return dt.date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return None


@login_required
def survey_list(request):
    """The surveys, with the overall response rate of each."""
    _scope_or_404(request)
    from django.db.models import Count, Q

    from quality.models import SurveyTemplate

    templates = SurveyTemplate.objects.annotate(
        invited=Count("versions__invitations"),
        answered=Count("versions__invitations", filter=Q(versions__invitations__status="answered")),
    ).order_by("code")
    from quality.selectors import is_auditor

    return render(
        request,
        "quality/surveys/list.html",
        {"templates": templates, "is_auditor": is_auditor(request.user)},
    )


def _results(request, code):
    from django.shortcuts import get_object_or_404

    from logistics.models import Department
    from quality.models import SurveyTemplate
    from quality.survey_results import results

    scope = _scope_or_404(request)
    template = get_object_or_404(SurveyTemplate, code=code)
    filters = {
        "department_id": _int(request, "department"),
        "building_id": _int(request, "building"),
        "technician_id": _int(request, "technician"),
        "area_id": _int(request, "area"),
        "start": _date(request, "from"),
        "end": _date(request, "to"),
    }
    version_ids = list(template.versions.values_list("pk", flat=True))
    outcome = results(version_ids, departments=scope, **filters)
    departments = Department.objects.order_by("code")
    if scope is not None:
        departments = departments.filter(pk__in=scope)
    return template, filters, outcome, list(departments)


def _filter_choices():
    from apartments.selectors import buildings_all
    from logistics.models import ServiceArea

    return {"areas": list(ServiceArea.objects.all()), "buildings": buildings_all()}


@login_required
def survey_results(request, code: str):
    template, filters, outcome, departments = _results(request, code)
    return render(
        request,
        "quality/surveys/results.html",
        {
            "template": template,
            "filters": filters,
            "results": outcome,
            "departments": departments,
            **_filter_choices(),
            "minimum": settings.SURVEY_MIN_RESPONSES,
            "query": request.GET.urlencode(),
        },
    )


@login_required
def survey_results_export(request, code: str):
    from django.utils.translation import gettext as _

    from logistics.spreadsheets import XlsxWriter

    template, _filters, outcome, _departments = _results(request, code)
    too_few = _("too few answers")
    book = XlsxWriter(template.display_name, [_("Question"), _("Dimension"), _("Mean"), _("n")])
    for question, figure, _chosen in outcome.questions:
        book.append(
            [
                question.display_text,
                question.get_dimension_display(),
                figure.shown if figure.shown is not None else (too_few if figure.n else ""),
                figure.n,
            ]
        )
    book.append([])
    book.append([_("SERVQUAL gap (perception − expectation)"), _("Dimension"), _("Mean"), _("n")])
    for gap in outcome.gaps:
        book.append(["", str(gap.label), too_few if gap.too_few else gap.mean, gap.n])
    book.append([])
    book.append([_("Response rate"), "", outcome.rate, outcome.invited])
    return book.response(f"survey-{template.code}.xlsx")


# --- Semester windows (auditors) ---------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def window_list(request):
    """The semester survey windows, and a form to open one (auditors)."""
    import datetime as dt

    from django.contrib import messages
    from django.db.models import Count
    from django.shortcuts import redirect

    from apartments.selectors import buildings_all
    from logistics.models import Department, ServiceArea
    from quality.models import SurveyWindow
    from quality.selectors import is_auditor

    if not is_auditor(request.user):
        raise Http404
    buildings = buildings_all()
    error = None
    if request.method == "POST":
        post = request.POST
        try:
            start = dt.date.fromisoformat(post.get("start", ""))
            end = dt.date.fromisoformat(post.get("end", ""))
            default_share = int(post.get("default_share") or 100)
            shares = {
                b.pk: int(post[f"share_{b.pk}"])
                for b in buildings
                if post.get(f"share_{b.pk}", "").strip().isdigit()
            }
        except ValueError:
            error = surveys.AnswerInvalid(_("Give the dates as YYYY-MM-DD and shares as numbers."))
        else:
            area = ServiceArea.objects.filter(pk=_post_int(post, "area")).first()
            department = Department.objects.filter(pk=_post_int(post, "department")).first()
            population = post.get("population", SurveyWindow.Population.RESIDENTS)
            if population not in SurveyWindow.Population.values:
                population = SurveyWindow.Population.RESIDENTS
            try:
                surveys.window_create(
                    actor=request.user,
                    title=post.get("title", ""),
                    title_en=post.get("title_en", ""),
                    start=start,
                    end=end,
                    population=population,
                    default_share=default_share,
                    shares=shares,
                    area=area,
                    department=department,
                )
            except surveys.SurveyError as refusal:
                error = refusal
            else:
                messages.success(
                    request, _("The window is set: the nightly job invites the population.")
                )
                return redirect("quality:window_list")
    return render(
        request,
        "quality/surveys/windows.html",
        {
            "windows": SurveyWindow.objects.select_related("area", "department").annotate(
                invited=Count("invitations", distinct=True),
            ),
            "buildings": buildings,
            "areas": ServiceArea.objects.all(),
            "departments": Department.objects.all(),
            "populations": SurveyWindow.Population.choices,
            "error": error,
        },
        status=400 if error else 200,
    )


def _post_int(post, name):
    value = post.get(name, "")
    return int(value) if value.isdigit() else None


# --- Survey versions (auditors) ----------------------------------------------------------------


def _auditor_or_404(request):
    from quality.selectors import is_auditor

    if not is_auditor(request.user):
        raise Http404


@login_required
def survey_versions(request, code: str):
    """A survey's versions; its draft's questions, to change (auditors)."""
    from django.shortcuts import get_object_or_404

    from quality.models import Characteristic, Servqual, SurveyTemplate, SurveyVersion

    _auditor_or_404(request)
    template = get_object_or_404(SurveyTemplate, code=code)
    versions = list(template.versions.order_by("-number"))
    draft = next((v for v in versions if v.status == SurveyVersion.Status.DRAFT), None)
    shown = draft or next((v for v in versions if v.status == SurveyVersion.Status.PUBLISHED), None)
    return render(
        request,
        "quality/surveys/versions.html",
        {
            "template": template,
            "versions": versions,
            "draft": draft,
            "shown": shown,
            "questions": surveys.questions_of(shown) if shown else [],
            "kinds": SurveyQuestion.Kind.choices,
            "dimensions": Servqual.choices,
            "characteristics": Characteristic.choices,
        },
    )


@login_required
@require_POST
def survey_version_action(request, code: str, action: str):
    """Start a draft, save or delete a question of it, publish it (auditors)."""
    from django.contrib import messages
    from django.shortcuts import get_object_or_404, redirect

    from quality.models import SurveyTemplate, SurveyVersion

    _auditor_or_404(request)
    template = get_object_or_404(SurveyTemplate, code=code)
    draft = template.versions.filter(status=SurveyVersion.Status.DRAFT).first()
    post = request.POST
    try:
        if action == "draft":
            surveys.draft_start(actor=request.user, template=template)
        elif draft is None:
            raise surveys.VersionFrozen()
        elif action == "save":
            choices = [
                {"key": f"c{i}", "text": zh.strip(), "text_en": en.strip()}
                for i, line in enumerate(post.get("choices", "").splitlines(), start=1)
                if line.strip()
                for zh, _sep, en in [line.partition("|")]
            ]
            surveys.question_save(
                actor=request.user,
                version=draft,
                key=post.get("key", "").strip(),
                kind=post.get("kind", ""),
                text=post.get("text", ""),
                text_en=post.get("text_en", ""),
                required=bool(post.get("required")),
                dimension=post.get("dimension", ""),
                characteristic=post.get("characteristic", ""),
                choices=choices,
            )
        elif action == "delete":
            question = get_object_or_404(draft.questions, key=post.get("key", ""))
            surveys.question_delete(actor=request.user, question=question)
        elif action == "publish":
            surveys.version_publish(actor=request.user, version=draft)
            messages.success(request, _("Published: new invitations ask this version."))
        else:
            raise Http404
    except surveys.SurveyError as refusal:
        messages.error(request, refusal.message)
    return redirect("quality:survey_versions", code=code)
