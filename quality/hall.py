from django.utils.translation import gettext_lazy as _

from logistics.access import roles_of
from logistics.hall import hall_entry, hall_panel
from logistics.models import Role
from logistics.waiting import waiting_source
from quality.selectors import head_departments, is_auditor


def _auditor_or_head(user) -> bool:
    return is_auditor(user) or head_departments(user) != set()


hall_entry(
    key="quality.complain",
    title=_("Complaints and suggestions"),
    description=_("Tell us what went wrong or what could be better; anonymously if you wish."),
    url_name="quality:complaint_new",
    icon="megaphone",
    position=60,
)

hall_entry(
    key="quality.my_complaints",
    title=_("My complaints"),
    description=_("Follow your complaints and say whether the answer satisfied you."),
    url_name="quality:my_complaints",
    icon="chat-left-text",
    position=61,
)

hall_entry(
    key="quality.dashboard",
    title=_("Quality dashboard"),
    description=_("Nonconformities, inspection scores and complaints by department."),
    url_name="quality:dashboard",
    icon="clipboard-data",
    roles=(Role.AUDITOR, Role.DEPARTMENT_HEAD, Role.DINING_MANAGER, Role.ADMIN),
    visible=_auditor_or_head,
    position=50,
)

hall_entry(
    key="quality.inspections",
    title=_("Inspection records"),
    description=_("Patrol inspections against the service standards, sealed when submitted."),
    url_name="quality:inspection_list",
    icon="clipboard-check",
    roles=(Role.AUDITOR, Role.DEPARTMENT_HEAD, Role.DINING_MANAGER, Role.ADMIN),
    visible=_auditor_or_head,
    position=51,
)

hall_entry(
    key="quality.nonconformities",
    title=_("Nonconformities"),
    description=_("Nonconformities and corrective actions: root cause, action, verification."),
    url_name="quality:nc_list",
    icon="exclamation-diamond",
    roles=(Role.AUDITOR, Role.DEPARTMENT_HEAD, Role.DINING_MANAGER, Role.ADMIN),
    visible=_auditor_or_head,
    position=52,
)

hall_entry(
    key="quality.complaints",
    title=_("Complaint handling"),
    description=_("Complaints routed to your department: answer them on time."),
    url_name="quality:complaint_list",
    icon="inboxes",
    roles=(Role.AUDITOR, Role.DEPARTMENT_HEAD, Role.DINING_MANAGER, Role.ADMIN),
    visible=_auditor_or_head,
    position=53,
)

hall_entry(
    key="quality.checklists",
    title=_("Service standards"),
    description=_("The inspection checklists of every service area, with their versions."),
    url_name="quality:checklist_list",
    icon="list-check",
    roles=(Role.AUDITOR, Role.ADMIN),
    position=54,
)


# --- Satisfaction surveys and scorecards -------------------------------------------------------

hall_entry(
    key="quality.my_surveys",
    title=_("My surveys"),
    description=_("Short anonymous surveys about the services you had: tell us how we did."),
    url_name="quality:my_surveys",
    icon="star-half",
    position=62,
)

hall_entry(
    key="quality.surveys",
    title=_("Satisfaction surveys"),
    description=_("Follow-up and semester survey results: response rates, means, SERVQUAL gaps."),
    url_name="quality:survey_list",
    icon="bar-chart-line",
    roles=(Role.AUDITOR, Role.DEPARTMENT_HEAD, Role.DINING_MANAGER, Role.ADMIN),
    visible=_auditor_or_head,
    position=55,
)

hall_entry(
    key="quality.scorecards",
    title=_("Department scorecards"),
    description=_("Monthly and semester scores of the departments, with the detail behind them."),
    url_name="quality:scorecard_list",
    icon="trophy",
    roles=(Role.AUDITOR, Role.DEPARTMENT_HEAD, Role.DINING_MANAGER, Role.ADMIN),
    visible=_auditor_or_head,
    position=56,
)


hall_entry(
    key="quality.my_card",
    title=_("My card"),
    description=_("Your jobs, time limits kept, ratings and rework: the basis of your assessment."),
    url_name="quality:my_technician_card",
    icon="person-badge",
    roles=(Role.TECHNICIAN,),
    # technicians themselves (an administrator holds every role's rights, not a job card)
    visible=lambda user: Role.TECHNICIAN in roles_of(user),
    position=57,
)


def _awards_panel(user):
    """The best teams of the last published period (优质服务示范岗), for everyone: kept in the
    cache, so the home page costs no query for it (publishing and awarding forget it)."""
    from django.utils.translation import get_language

    from quality.scorecards import published_awards

    english = (get_language() or "").startswith("en")
    awards = [
        {**a, "department": (a["department_en"] if english else "") or a["department"]}
        for a in published_awards()
    ]
    return {"awards": awards} if awards else None


hall_panel(
    "quality.awards",
    "quality/scorecards/awards_panel.html",
    context=_awards_panel,
    position=90,
    # people with a role (residents and staff); an account without one sees no panels
    visible=lambda user: bool(roles_of(user)),
)


# --- The quality system (issue 16): documents, audits, objectives, training, reviews ---------


def _works_here(user) -> bool:
    from logistics.access import is_staff_member

    return is_staff_member(user)


hall_entry(
    key="quality.documents",
    title=_("Controlled documents"),
    description=_("Procedures, work instructions and emergency plans in force; acknowledge them."),
    url_name="quality:document_list",
    icon="journal-text",
    visible=_works_here,
    position=63,
)

hall_entry(
    key="quality.audits",
    title=_("Internal audits"),
    description=_("The year's audit programme, audit plans, findings and reports."),
    url_name="quality:audit_programme",
    icon="search",
    roles=(Role.AUDITOR, Role.DEPARTMENT_HEAD, Role.ADMIN),
    visible=_auditor_or_head,
    position=58,
)

hall_entry(
    key="quality.objectives",
    title=_("Quality objectives"),
    description=_("Each department's objectives, measured from the portal's data every period."),
    url_name="quality:objective_list",
    icon="bullseye",
    roles=(Role.AUDITOR, Role.DEPARTMENT_HEAD, Role.ADMIN),
    visible=_auditor_or_head,
    position=59,
)

hall_entry(
    key="quality.training",
    title=_("Training"),
    description=_("Training sessions, knowledge contests, your record and qualifications."),
    url_name="quality:training_list",
    icon="mortarboard",
    visible=_works_here,
    position=64,
)

hall_entry(
    key="quality.management_reviews",
    title=_("Management reviews"),
    description=_("Management review meetings with their inputs gathered on one page."),
    url_name="quality:management_reviews",
    icon="people",
    roles=(Role.AUDITOR, Role.DEPARTMENT_HEAD, Role.ADMIN),
    visible=_auditor_or_head,
    position=65,
)

# --- what waits for a person: surveys to answer ---


def _surveys_waiting(user):
    from django.urls import reverse
    from django.utils.translation import gettext

    from logistics.waiting import WaitingItem
    from quality.surveys import open_invitations_of

    invitations = open_invitations_of(user)
    if not invitations:
        return []
    return [
        WaitingItem(
            text=gettext("A short survey waits for your answer: tell us how we did."),
            url=reverse("quality:my_surveys"),
            icon="star-half",
            due=gettext("by %(date)s") % {"date": invitations[-1].expires_on.isoformat()}
            if len(invitations) == 1
            else "",
        )
    ]


# people with a role (residents and staff); an account without one is asked nothing
waiting_source("quality.surveys", _surveys_waiting, roles=tuple(Role.values), position=30)
