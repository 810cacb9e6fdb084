"""Shared data for the ISO tests: documents, qualified auditors, audits, objectives."""

import datetime as dt

from logistics.models import Role
from quality import documents, training
from quality.models import DocumentKind, Qualification
from tests import factories as f

DAY = dt.date(2026, 3, 10)


def qualified_auditor(quality_lead, *, username, department=None, until=dt.date(2027, 12, 31)):
    """An auditor (from `department`, if given) with a valid internal-auditor qualification."""
    user = f.user_with_role(Role.AUDITOR, username=username, full_name=username)
    if department is not None:
        f.RoleGrantFactory(user=user, role=Role.DORM_MANAGER, department=department)
    training.qualification_grant(
        actor=quality_lead,
        user=user,
        kind=Qualification.Kind.INTERNAL_AUDITOR,
        valid_from=dt.date(2025, 1, 1),
        valid_until=until,
    )
    return user


def effective_document(
    author, approver, department, *, text="# 目的\n\n第一版", today=DAY, roles=("dorm_manager",)
):
    """A procedure drafted by `author`, approved by `approver`, effective on `today`."""
    document = documents.document_create(
        actor=author,
        kind=DocumentKind.PROCEDURE,
        department=department,
        title="管理员工作流程",
        title_en="Dorm manager work procedure",
        owner=author,
        applies_to=list(roles),
        text=text,
    )
    version = document.versions.get()
    documents.version_submit(actor=author, version=version)
    documents.version_approve(actor=approver, version=version, effective_from=today, today=today)
    document.refresh_from_db()
    return document
