"""Words of the third-party apps that ship no Simplified Chinese, supplied by our catalogue.

django-axes (the sign-in lockouts, seen in the administration) has no translations at all.
Its strings are listed here with gettext_noop so that `make messages` (which scans this app)
puts them into locale/; our catalogue (LOCALE_PATHS) comes before every app's own, so the
administration then shows them in Chinese. Keep the msgids exactly as axes spells them
(tests/test_third_party_words.py checks they are still axes's words). Django's own apps and
Django REST framework's token app ship a Simplified Chinese catalogue of their own.
"""

from axes.apps import AppConfig as _AxesAppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

AXES_WORDS = [
    gettext_noop("Access Attempt"),
    gettext_noop("Access lock out"),
    gettext_noop("Account locked: too many login attempts. Please try again later."),
    gettext_noop(
        "Account locked: too many login attempts. Contact an admin to unlock your account."
    ),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Attempt Time"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Expires At"),
    gettext_noop("Failed Logins"),
    gettext_noop("Form Data"),
    gettext_noop("GET Data"),
    gettext_noop("HTTP Accept"),
    gettext_noop("IP Address"),
    gettext_noop("Locked Out"),
    gettext_noop("Logout Time"),
    gettext_noop("Meta Data"),
    gettext_noop("Not set"),
    gettext_noop("POST Data"),
    gettext_noop("Path"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("User Agent"),
    gettext_noop("Username"),
    gettext_noop("Yes"),
    gettext_noop("No"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
]


class AxesConfig(_AxesAppConfig):
    """django-axes with a name in the administration's list of apps (axes gives none, so
    the index read "Axes" in either language)."""

    verbose_name = _("Sign-in lockouts")
