"""The user's notifications: the list, marking them read, and opening one. (The bell in the
top bar reads the unread count from the cache: logistics.context_processors.)

Opening is a POST (it marks the notification read), and it only ever redirects to a path of
the portal itself: a notification's `url` is data, and data must not send anyone off-site.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from logistics.models import Notification
from logistics.notifications import mark_read, notification_text, unread_count

PER_PAGE = 30


@login_required
@require_GET
def notification_list(request):
    """The user's notifications, newest first, each in the reader's language."""
    notifications = Notification.objects.filter(recipient_id=request.user.pk).order_by(
        "-created_at", "-id"
    )
    page = Paginator(notifications, PER_PAGE).get_page(request.GET.get("page"))
    for notification in page:
        notification.text = notification_text(notification)
    return render(
        request,
        "logistics/notifications.html",
        {"page": page, "unread": unread_count(request.user)},
    )


@login_required
@require_POST
def notifications_read(request):
    """Mark every notification of the user read."""
    count = mark_read(request.user)
    if count:
        messages.success(request, _("All notifications are marked read."))
    return redirect("notifications")


@login_required
@require_POST
def notification_open(request, pk: int):
    """Mark one of the user's notifications read and go where it points (a page of the
    portal); someone else's is 404, as if it did not exist."""
    notification = get_object_or_404(Notification, pk=pk, recipient_id=request.user.pk)
    if notification.read_at is None:
        mark_read(request.user, [notification.pk])
    if is_local_path(notification.url):
        return redirect(notification.url)
    return redirect("notifications")


def is_local_path(url: str) -> bool:
    """True for a path on this site ("/repairs/12/"), false for anything with a scheme or a
    host ("https://…", "//evil.example", "javascript:…") and for relative paths."""
    return bool(url) and url.startswith("/") and url_has_allowed_host_and_scheme(url, set())
