"""The one-stop service hall (一站式服务大厅): the tiles on each user's home page.

Each app lists its entries in `<app>/hall.py` with `hall_entry(...)`; an entry shows only to
the roles it names (and only where its page works: an app adds an entry with the page).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import get_script_prefix, reverse
from django.utils.translation import gettext_lazy as _

from logistics.access import has_role, roles_of
from logistics.models import Role


@dataclass(frozen=True)
class HallEntry:
    key: str
    title: str  # lazy translation
    description: str
    url_name: str
    icon: str  # a Bootstrap Icons name
    roles: tuple[str, ...] = ()  # empty: every signed-in user
    position: int = 100
    visible: Callable | None = field(default=None, compare=False)  # extra check(user)

    def shows_to(self, user) -> bool:
        if self.roles and not has_role(user, *self.roles):
            return False
        return self.visible is None or bool(self.visible(user))

    @property
    def url(self) -> str:
        # Every page's menu lists the user's entries: their URLs are reversed once per script
        # prefix (the same for every request of a deployment), not once per page.
        prefix = get_script_prefix()
        url = _URLS.get((self.url_name, prefix))
        if url is None:
            url = _URLS[self.url_name, prefix] = reverse(self.url_name)
        return url


_URLS: dict[tuple[str, str], str] = {}


ENTRIES: dict[str, HallEntry] = {}


def hall_entry(**kwargs) -> HallEntry:
    entry = HallEntry(**kwargs)
    ENTRIES[entry.key] = entry
    return entry


def entries_for(user) -> list[HallEntry]:
    if not user.is_authenticated:
        return []
    return sorted(
        (e for e in ENTRIES.values() if e.shows_to(user)), key=lambda e: (e.position, e.key)
    )


@dataclass(frozen=True)
class HallPanel:
    """A panel on the home page, above the tiles: a notice, a reminder, a figure.

    `context(user)` returns the template's `panel` variable, or None to show nothing; it runs
    only for users the panel's `roles` (and `visible`) admit, so a panel costs nobody else a
    query. The template is rendered with the page's context plus `panel`.
    """

    key: str
    template_name: str
    context: Callable | None = field(default=None, compare=False)  # (user) -> dict | None
    roles: tuple[str, ...] = ()  # empty: every signed-in user
    position: int = 100
    visible: Callable | None = field(default=None, compare=False)  # extra check(user)
    # The page the panel shows on: "home" (the service hall) or another page that renders
    # panels_for(user, page=...), e.g. "my_room": how an app adds a part to another app's page
    # without the two importing each other.
    page: str = "home"

    def shows_to(self, user) -> bool:
        if self.roles and not has_role(user, *self.roles):
            return False
        return self.visible is None or bool(self.visible(user))


@dataclass(frozen=True)
class ShownPanel:
    key: str
    template_name: str
    context: dict


PANELS: dict[str, HallPanel] = {}


def hall_panel(
    key: str,
    template_name: str,
    *,
    context: Callable | None = None,
    roles: tuple[str, ...] = (),
    position: int = 100,
    visible: Callable | None = None,
    page: str = "home",
) -> HallPanel:
    panel = HallPanel(
        key=key,
        template_name=template_name,
        context=context,
        roles=tuple(roles),
        position=position,
        visible=visible,
        page=page,
    )
    PANELS[panel.key] = panel
    return panel


def panels_for(user, page: str = "home") -> list[ShownPanel]:
    """The panels `user` sees on `page`, in order, each with its context (computed only for
    them)."""
    if not user.is_authenticated:
        return []
    shown = []
    for panel in sorted(PANELS.values(), key=lambda p: (p.position, p.key)):
        if panel.page != page or not panel.shows_to(user):
            continue
        context = panel.context(user) if panel.context is not None else {}
        if context is None:
            continue
        shown.append(ShownPanel(panel.key, panel.template_name, context))
    return shown


STAFF_ROLES = tuple(r for r in Role.values if r != Role.STUDENT)


def role_labels(user) -> list[str]:
    return [Role(r).label for r in Role.values if r in roles_of(user)]


# The kernel's own entries.
def _is_admin(user) -> bool:
    return user.is_staff and has_role(user, Role.ADMIN)


hall_entry(
    key="kernel.account",
    title=_("My account"),
    description=_("Your name, your roles and your password."),
    url_name="account",
    icon="person-circle",
    position=900,
)
hall_entry(
    key="kernel.admin",
    title=_("Administration"),
    description=_("Accounts, roles, campuses, departments, job runs and the audit trail."),
    url_name="admin:index",
    icon="gear",
    roles=(Role.ADMIN,),
    visible=_is_admin,
    position=910,
)
hall_entry(
    key="kernel.alerts",
    title=_("Alerts"),
    description=_("What you must act on: missing reports, overdue records, failed jobs."),
    url_name="alerts",
    icon="exclamation-triangle",
    roles=STAFF_ROLES,
    position=890,
)
hall_entry(
    key="kernel.jobs",
    title=_("Nightly jobs"),
    description=_("Each night's runs, their failed items, and running a date again."),
    url_name="jobs",
    icon="moon-stars",
    roles=(Role.ADMIN,),
    position=915,
)
hall_entry(
    key="kernel.api_docs",
    title=_("API documentation"),
    description=_("The interface for the mobile app and the WeChat mini-program."),
    url_name="api-docs",
    icon="code-square",
    roles=(Role.ADMIN,),
    position=920,
)


# What waits for the user (logistics.waiting): one panel, first on the page, for everyone.
def _waiting_panel(user):
    from logistics.waiting import waiting_for

    items = waiting_for(user)
    return {"items": items} if items else None


hall_panel("kernel.waiting", "logistics/waiting_panel.html", context=_waiting_panel, position=1)
