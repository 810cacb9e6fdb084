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
