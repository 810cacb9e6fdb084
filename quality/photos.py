"""Who may see an inspection photo: whoever may see an inspection record that shows it
(quality.selectors.inspections_for). An amendment references its original's photos, so a
photo may belong to several records."""

from logistics.uploads import register_photo_access
from quality.models import InspectionAnswer
from quality.selectors import inspections_for


@register_photo_access
def inspection_photo_access(user, photo) -> bool:
    return InspectionAnswer.objects.filter(
        photo_id=photo.pk, inspection__in=inspections_for(user).values("pk")
    ).exists()


@register_photo_access
def audit_photo_access(user, photo) -> bool:
    """An internal audit finding's photo: whoever may see the audit (quality.audits)."""
    from quality.audits import audits_for
    from quality.models import AuditFinding

    return AuditFinding.objects.filter(
        photo_id=photo.pk, audit__in=audits_for(user).values("pk")
    ).exists()
