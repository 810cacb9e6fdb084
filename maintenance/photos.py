"""Who may see a repair photo: whoever may see its ticket (maintenance.selectors)."""

from logistics.uploads import register_photo_access
from maintenance.models import TicketPhoto
from maintenance.selectors import tickets_for


@register_photo_access
def ticket_photo_access(user, photo) -> bool:
    return TicketPhoto.objects.filter(
        photo_id=photo.pk, ticket__in=tickets_for(user).values("pk")
    ).exists()
