"""Survey templates are versioned like the checklists: a draft copied from the published
version may change; publishing freezes it and retires the one before; invitations already
sent keep their version, and answers to both count by question key."""

import pytest

from logistics.models import Role
from quality import surveys
from quality.models import SurveyTemplate, SurveyVersion
from quality.survey_results import results
from tests import factories as f
from tests.quality.survey_data import REPAIR_ANSWERS, invitation

pytestmark = pytest.mark.django_db


def test_a_new_version_of_the_repair_follow_up(settings):
    settings.SURVEY_MIN_RESPONSES = 1
    auditor = f.user_with_role(Role.AUDITOR, username="aud")
    student = f.user_with_role(Role.STUDENT, username="s1")
    template = SurveyTemplate.objects.get(code="repair")
    old = surveys.published_version("repair")
    sent_before = invitation(student)

    draft = surveys.draft_start(actor=auditor, template=template)
    assert draft.number == 2 and draft.questions.count() == old.questions.count()
    with pytest.raises(surveys.SurveyError):
        surveys.draft_start(actor=auditor, template=template)  # one draft at a time
    surveys.question_save(
        actor=auditor,
        version=draft,
        key="phone",
        kind="stars",
        text="报修电话是否容易打通？",
        text_en="Was the repair line easy to reach?",
        dimension="responsiveness",
        characteristic="timeliness",
    )
    with pytest.raises(surveys.AnswerInvalid):
        surveys.question_save(
            actor=auditor, version=draft, key="x", kind="stars", text="只有中文", text_en=""
        )
    with pytest.raises(surveys.SurveyError):
        surveys.question_save(
            actor=student, version=draft, key="y", kind="text", text="a", text_en="b"
        )
    surveys.version_publish(actor=auditor, version=draft)

    old.refresh_from_db()
    assert old.status == SurveyVersion.Status.RETIRED
    assert surveys.published_version("repair").pk == draft.pk
    with pytest.raises(surveys.VersionFrozen):
        surveys.question_save(
            actor=auditor, version=draft, key="z", kind="text", text="a", text_en="b"
        )
    # The invitation sent before still asks version 1; a new one asks version 2
    surveys.answer(sent_before.token, REPAIR_ANSWERS)
    later = invitation(student)
    assert later.version_id == draft.pk
    surveys.answer(later.token, {**REPAIR_ANSWERS, "on_time": 3, "phone": 4})
    figures = {q.key: fig for q, fig, _c in results([old.pk, draft.pk]).questions}
    assert (figures["on_time"].shown, figures["on_time"].n) == (4.0, 2)
    assert (figures["phone"].shown, figures["phone"].n) == (4.0, 1)


def test_the_versions_page_makes_publishes_and_is_for_auditors_only(client):
    auditor = f.user_with_role(Role.AUDITOR, username="aud")
    client.force_login(auditor)
    assert client.get("/quality/surveys/move_out/versions/").status_code == 200
    client.post("/quality/surveys/move_out/versions/draft/")
    draft = SurveyVersion.objects.get(template__code="move_out", status="draft")
    client.post(
        "/quality/surveys/move_out/versions/save/",
        {
            "key": "keys",
            "kind": "choice",
            "text": "钥匙归还是否方便？",
            "text_en": "Was returning the keys easy?",
            "dimension": "responsiveness",
            "choices": "是|Yes\n否|No",
            "required": "on",
        },
    )
    question = draft.questions.get(key="keys")
    assert question.choices == [
        {"key": "c1", "text": "是", "text_en": "Yes"},
        {"key": "c2", "text": "否", "text_en": "No"},
    ]
    client.post("/quality/surveys/move_out/versions/delete/", {"key": "comment"})
    assert not draft.questions.filter(key="comment").exists()
    client.post("/quality/surveys/move_out/versions/publish/")
    assert surveys.published_version("move_out").pk == draft.pk
    page = client.get("/quality/surveys/move_out/versions/").content.decode()
    assert "钥匙归还是否方便？" in page
    client.force_login(f.user_with_role(Role.DEPARTMENT_HEAD, username="h"))
    assert client.get("/quality/surveys/move_out/versions/").status_code == 404
    assert client.post("/quality/surveys/move_out/versions/draft/").status_code == 404
