"""What apartments tells residents (logistics.notifications: in the portal, and by e-mail
through the outbox): the condition report due at check-in, the move-out inspection's time,
the inspection's result with its charges and the keys due back, and the answers to their
disputes. Each is sent inside the transaction of the change it reports."""

from django.utils.translation import gettext_lazy as _

from logistics.notifications import notification_kind

CONDITION_REPORT_DUE = notification_kind(
    "apartments.condition_report_due",
    _(
        "Welcome to room %(room)s. Check its fittings against the list in My room and confirm "
        "it, or say what is missing or damaged, by %(date)s."
    ),
)
CONDITION_REPORT_RESOLVED = notification_kind(
    "apartments.condition_report_resolved",
    _("Your remarks on room %(room)s's condition report were answered: %(resolution)s"),
)
MOVE_OUT_SCHEDULED = notification_kind(
    "apartments.move_out_scheduled",
    _("The inspection of room %(room)s for your move-out is on %(when)s. Please be there."),
)
INSPECTED_CHARGES = notification_kind(
    "apartments.inspected_charges",
    _(
        "Room %(room)s was inspected: %(count)s charge(s) to you, %(total)s yuan in all. "
        "You may dispute them until %(until)s."
    ),
)
KEYS_DUE = notification_kind(
    "apartments.keys_due",
    _("Room %(room)s was inspected. Please hand your keys back at the desk by %(date)s."),
)
CHARGE_ANSWERED = notification_kind(
    "apartments.charge_answered",
    _("Your dispute of the charge for %(tag)s was answered: %(amount)s yuan to pay. %(answer)s"),
)
CHARGE_WAIVED = notification_kind(
    "apartments.charge_waived",
    _("The charge for %(tag)s was waived: %(reason)s"),
)
MOVE_OUT_TO_REVIEW = notification_kind(
    "apartments.move_out_to_review",
    _(
        "A move-out request from room %(room)s for %(date)s is outside every move-out notice "
        "that concerns the resident: review it."
    ),
)
# The nightly reminders (apartments.reminders), each once per resident per due item.
CONDITION_REPORT_REMINDER = notification_kind(
    "apartments.condition_report_reminder",
    _(
        "A reminder: room %(room)s's condition report is due by %(date)s. Confirm the list of "
        "fittings in My room, or say what is missing or damaged."
    ),
)
KEYS_REMINDER = notification_kind(
    "apartments.keys_reminder",
    _("A reminder: the keys of room %(room)s are due back at the desk by %(date)s."),
)
