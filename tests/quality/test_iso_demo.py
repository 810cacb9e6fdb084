"""The demo's quality system loads once (twice changes nothing) and tells its stories: the
documents of the source, an audit done with its finding raised as a nonconformity, a year of
objective reviews, a training session with a quiz."""

import pytest

from logistics.demo import seed_kernel
from quality.iso_demo import seed_quality_system
from quality.models import (
    Audit,
    ControlledDocument,
    DocumentVersion,
    ManagementReviewAction,
    Nonconformity,
    ObjectiveReview,
    TrainingAttendance,
    TrainingPlanItem,
)

pytestmark = pytest.mark.django_db


def test_the_demo_quality_system_loads_once():
    seed_kernel(lambda line: None)
    seed_quality_system(lambda line: None)
    counts = (
        ControlledDocument.objects.count(),
        Audit.objects.count(),
        ObjectiveReview.objects.count(),
    )
    seed_quality_system(lambda line: None)
    assert (
        ControlledDocument.objects.count(),
        Audit.objects.count(),
        ObjectiveReview.objects.count(),
    ) == counts
    titles = set(ControlledDocument.objects.values_list("title", flat=True))
    assert {"质量手册", "管理员工作流程", "迎宾员工作流程", "服务员工作流程"} <= titles
    assert ControlledDocument.objects.filter(kind="EP").count() == 3
    procedure = ControlledDocument.objects.get(title="管理员工作流程")
    assert list(procedure.versions.values_list("number", "status")) == [
        (2, "effective"),
        (1, "superseded"),
    ]
    assert DocumentVersion.objects.filter(status="in_review").count() == 1
    issued = Audit.objects.get(status="issued")
    assert Nonconformity.objects.filter(audit_finding__audit=issued).count() == 1
    assert Audit.objects.count() == 5
    assert ObjectiveReview.objects.count() == 4 * 12
    assert TrainingAttendance.objects.filter(score__isnull=False).count() >= 2
    # the year's training plan, its sessions held linked, and a review's decisions followed up
    plan = TrainingPlanItem.objects.all()
    assert plan.count() == 4 and plan.filter(sessions__isnull=False).distinct().count() == 2
    assert ManagementReviewAction.objects.filter(nonconformity__isnull=False).count() == 1
    assert ManagementReviewAction.objects.filter(objective__isnull=False).count() == 1
