"""The demo's surveys and scorecards: made once (loading twice changes nothing), with answered
follow-ups over months, a semester survey, an open invitation in the demo student's inbox and
three months of scorecards, two published with an award."""

import pytest

from apartments.demo import DEMO_STUDENT_ID
from logistics.demo import seed_kernel
from logistics.models import Notification
from quality.models import Scorecard, SurveyInvitation, SurveyResponse, SurveyWindow
from quality.survey_demo import seed_surveys
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_the_demo_surveys_load_once():
    seed_kernel(lambda line: None)
    student = f.user_with_role("student", username=DEMO_STUDENT_ID)
    for i in range(5):
        f.user_with_role("student", username=f"25010000{i + 10}")

    seed_surveys(lambda line: None)
    counts = (
        SurveyInvitation.objects.count(),
        SurveyResponse.objects.count(),
        Scorecard.objects.count(),
    )
    seed_surveys(lambda line: None)

    assert (
        SurveyInvitation.objects.count(),
        SurveyResponse.objects.count(),
        Scorecard.objects.count(),
    ) == counts
    months = set(
        SurveyResponse.objects.filter(window__isnull=True).values_list(
            "answered_on__month", flat=True
        )
    )
    assert len(months) >= 6
    assert SurveyWindow.objects.get().responses.count() == 40
    assert Notification.objects.filter(recipient=student, kind="quality.survey_repair").exists()
    assert Scorecard.objects.filter(status="published").values("period").distinct().count() == 2
    assert Scorecard.objects.exclude(award="").count() == 2
