from django.conf import settings
from django.utils.functional import SimpleLazyObject

from logistics.access import is_staff_member
from logistics.hall import entries_for, role_labels
from logistics.notifications import unread_count


def portal(request):
    """What the base layout needs: the portal's name, the user's hall entries (for the menu)
    and role labels, the bell's unread count (from the cache: no query once it is cached).
    Lazy: a page that does not show them pays nothing."""
    user = getattr(request, "user", None)
    return {
        "portal_name": settings.PORTAL_NAME,
        "portal_short_name": settings.PORTAL_SHORT_NAME,
        "hall_entries": SimpleLazyObject(lambda: entries_for(user) if user else []),
        "user_role_labels": SimpleLazyObject(lambda: role_labels(user) if user else []),
        "unread_notifications": SimpleLazyObject(lambda: unread_count(user) if user else 0),
        # The search box, for staff (logistics.search); reads the grants the request has.
        "can_search": SimpleLazyObject(lambda: bool(user) and is_staff_member(user)),
    }
