"""What the maintenance app tells people (logistics.notifications): the reporter at each step
of their repair, the technician about their jobs."""

from django.utils.translation import gettext_lazy as _

from logistics.notifications import notification_kind

ASSIGNED = notification_kind(
    "maintenance.assigned",
    _("Your repair request %(number)s was assigned to %(technician)s."),
)
STARTED = notification_kind(
    "maintenance.started",
    _("%(technician)s has started work on your repair request %(number)s."),
)
FINISHED = notification_kind(
    "maintenance.finished",
    _(
        "Repair request %(number)s is finished. Please confirm and rate it within %(days)s "
        "days, or reopen it if the fault is still there."
    ),
)
FINISHED_FOLLOWER = notification_kind(
    "maintenance.finished_follower",
    _("The repair you reported, merged into %(number)s, is finished."),
)
MERGED = notification_kind(
    "maintenance.merged",
    _(
        "Your repair request %(number)s reports the same fault as %(primary)s; it was merged "
        "into it, and you will be told of its progress."
    ),
)
CANCELLED = notification_kind(
    "maintenance.cancelled",
    _("Repair request %(number)s was cancelled: %(reason)s"),
)
JOB_ASSIGNED = notification_kind(
    "maintenance.job_assigned",
    _("New job for you: repair request %(number)s."),
)
JOB_WITHDRAWN = notification_kind(
    "maintenance.job_withdrawn",
    _("Repair request %(number)s is no longer your job."),
)
REOPENED = notification_kind(
    "maintenance.reopened",
    _("Repair request %(number)s was reopened by its reporter: %(reason)s"),
)
RATED = notification_kind(
    "maintenance.rated",
    _("Your repair %(number)s was rated %(rating)s out of 5."),
)
