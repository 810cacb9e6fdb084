"""The technicians' roster: skills, on duty, open jobs; a technician-role user not on the
roster yet is added from the list. technicians/<pk>/ takes the technician's user id."""

import pytest
from django.urls import reverse

from logistics.models import AuditEvent, Role
from maintenance.models import Technician
from tests import factories as f

pytestmark = pytest.mark.django_db

LIST = reverse("maintenance:technicians")


@pytest.fixture(autouse=True)
def _in_english(client):
    from django.utils import translation

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def people(campus, other_campus, student, plumber, dispatcher, other_dispatcher, admin):
    maintenance = f.DepartmentFactory(code="repair_center", areas=["maintenance_utilities"])
    apartments = f.DepartmentFactory(code="apartment_center", areas=["apartments"])
    return {
        "student": student,
        "technician": plumber,
        "other_dispatcher": other_dispatcher,
        "dispatcher": dispatcher,
        "maintenance_head": f.user_with_role(
            Role.DEPARTMENT_HEAD, campus=campus, department=maintenance, username="head_m"
        ),
        "apartments_head": f.user_with_role(
            Role.DEPARTMENT_HEAD, campus=campus, department=apartments, username="head_a"
        ),
        "admin": admin,
    }


def edit_url(user):
    return reverse("maintenance:technician_edit", args=[user.pk])


def skills_of(user) -> set[str]:
    return set(Technician.objects.get(user=user).skills.values_list("code", flat=True))


# --- Who -----------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_sign_in(client, plumber):
    assert "login" in client.get(LIST)["Location"]
    assert "login" in client.get(edit_url(plumber))["Location"]
    assert "login" in client.post(edit_url(plumber), {"is_active": ""})["Location"]


@pytest.mark.parametrize("who", ["student", "technician", "apartments_head"])
def test_people_who_do_not_dispatch_get_404(client, people, plumber, who):
    client.force_login(people[who])
    assert client.get(LIST).status_code == 404
    assert client.get(edit_url(plumber)).status_code == 404
    assert client.post(edit_url(plumber), {"is_active": ""}).status_code == 404
    assert Technician.objects.get(user=plumber).is_active


def test_a_dispatcher_of_another_campus_neither_sees_nor_edits_the_roster(client, people, plumber):
    client.force_login(people["other_dispatcher"])
    assert "王师傅" not in client.get(LIST).content.decode()
    assert client.get(edit_url(plumber)).status_code == 404
    assert client.post(edit_url(plumber), {"is_active": ""}).status_code == 404
    assert Technician.objects.get(user=plumber).is_active


@pytest.mark.parametrize("who", ["dispatcher", "maintenance_head", "admin"])
def test_the_campus_supervisors_keep_the_roster(client, people, plumber, who):
    client.force_login(people[who])
    assert "王师傅" in client.get(LIST).content.decode()
    assert client.get(edit_url(plumber)).status_code == 200
    electrical = f.category("electrical")
    response = client.post(
        edit_url(plumber), {"skills": [f.category("plumbing").pk, electrical.pk], "is_active": "on"}
    )
    assert response.status_code == 302
    assert skills_of(plumber) == {"plumbing", "electrical"}


def test_a_user_who_is_no_technician_is_404(client, dispatcher, student):
    client.force_login(dispatcher)
    assert client.get(edit_url(student)).status_code == 404
    assert client.post(edit_url(student), {"is_active": "on"}).status_code == 404
    assert not Technician.objects.filter(user=student).exists()


# --- The roster ----------------------------------------------------------------------------------


def test_the_roster_shows_skills_duty_and_open_jobs(
    client, dispatcher, campus, room, student, plumber
):
    # Given the plumber with two open jobs and a finished one, and an electrician off duty
    f.ticket(room=room, reporter=student, status="assigned", technician=plumber)
    f.ticket(room=room, reporter=student, status="in_progress", technician=plumber)
    f.ticket(room=room, reporter=student, status="done", technician=plumber)
    electrician = f.technician(campus, skills=["electrical"], username="e1", full_name="张电工")
    Technician.objects.filter(user=electrician).update(is_active=False)
    client.force_login(dispatcher)
    html = client.get(LIST).content.decode()
    assert "Plumbing and drains" in html and "Electrical and lighting" in html
    assert "2 open jobs" in html and "0 open jobs" in html
    assert "on duty" in html and "off duty" in html


def test_a_technician_not_on_the_roster_is_added_from_the_list(
    client, dispatcher, campus, other_campus
):
    # Given a user with the technician role on the campus but no roster entry, and one of
    # another campus
    newcomer = f.user_with_role(Role.TECHNICIAN, campus=campus, username="new1", full_name="新师傅")
    f.user_with_role(Role.TECHNICIAN, campus=other_campus, username="far1", full_name="远师傅")
    client.force_login(dispatcher)
    html = client.get(LIST).content.decode()
    # Then only the campus's newcomer is offered
    assert "新师傅" in html and "远师傅" not in html
    assert html.count('data-testid="add-to-roster"') == 1
    # When the dispatcher adds them (the button posts the campus and "on duty")
    response = client.post(edit_url(newcomer), {"campus": campus.pk, "is_active": "on"})
    # Then they are on the roster, on duty, and asked for their skills next
    assert response["Location"] == edit_url(newcomer)
    entry = Technician.objects.get(user=newcomer)
    assert entry.campus == campus and entry.is_active
    assert AuditEvent.objects.filter(action="repair.technician_add").exists()
    after = client.get(LIST).content.decode()
    assert 'data-testid="add-to-roster"' not in after
    assert f'data-testid="roster-row" data-user="{newcomer.pk}"' in after


def test_a_double_tapped_add_makes_one_entry(client, dispatcher, campus):
    newcomer = f.user_with_role(Role.TECHNICIAN, campus=campus, username="new1")
    client.force_login(dispatcher)
    client.post(edit_url(newcomer), {"campus": campus.pk, "is_active": "on"})
    client.post(edit_url(newcomer), {"is_active": "on"})
    assert Technician.objects.filter(user=newcomer).count() == 1


def test_a_technician_cannot_be_added_to_another_campus(client, dispatcher, campus, other_campus):
    newcomer = f.user_with_role(Role.TECHNICIAN, campus=campus, username="new1")
    client.force_login(dispatcher)
    response = client.post(edit_url(newcomer), {"campus": other_campus.pk, "is_active": "on"})
    assert response.status_code == 400
    assert not Technician.objects.filter(user=newcomer).exists()


def test_an_admin_adds_an_everywhere_technician_to_a_chosen_campus(client, admin, other_campus):
    roaming = f.user_with_role(Role.TECHNICIAN, username="roam", full_name="流动师傅")
    client.force_login(admin)
    html = client.get(LIST).content.decode()
    assert f'id="campus-{roaming.pk}"' in html  # a campus to choose
    client.post(edit_url(roaming), {"campus": other_campus.pk, "is_active": "on"})
    assert Technician.objects.get(user=roaming).campus == other_campus


def test_taking_a_technician_off_duty_warns_of_open_jobs(
    client, dispatcher, room, student, plumber
):
    f.ticket(room=room, reporter=student, status="assigned", technician=plumber)
    client.force_login(dispatcher)
    response = client.post(edit_url(plumber), {"skills": [], "is_active": ""}, follow=True)
    entry = Technician.objects.get(user=plumber)
    assert not entry.is_active and not entry.skills.exists()
    assert "They still have 1 open job: reassign it." in response.content.decode()


def test_an_unknown_skill_is_a_form_error(client, dispatcher, plumber):
    client.force_login(dispatcher)
    response = client.post(edit_url(plumber), {"skills": ["999999"], "is_active": "on"})
    assert response.status_code == 400
    assert skills_of(plumber) == {"plumbing"}


def test_an_off_duty_technician_is_not_offered_for_jobs(client, dispatcher, room, student, plumber):
    ticket = f.ticket(room=room, reporter=student)
    client.force_login(dispatcher)
    client.post(edit_url(plumber), {"skills": [f.category("plumbing").pk], "is_active": ""})
    page = client.get(reverse("maintenance:dispatch_ticket", args=[ticket.pk])).content.decode()
    assert 'data-testid="technician-choice"' not in page


# --- Query budget ------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 7])
def test_the_roster_query_count_does_not_grow(
    client, dispatcher, campus, room, student, n, django_assert_num_queries
):
    # Given n technicians with skills and jobs, and n technicians not on the roster
    for i in range(n):
        tech = f.technician(campus, skills=["plumbing", "electrical"], username=f"t{i}")
        f.ticket(room=room, reporter=student, status="assigned", technician=tech)
        f.user_with_role(Role.TECHNICIAN, campus=campus, username=f"c{i}")
    client.force_login(dispatcher)
    client.get(LIST)  # warms the caches (the notification bell)
    # session, user with role grants, the roster with open jobs counted, their skills (prefetch),
    # the technicians not on the roster, the campuses in scope
    with django_assert_num_queries(6):
        response = client.get(LIST)
    html = response.content.decode()
    assert html.count('data-testid="roster-row"') == n
    assert html.count('data-testid="candidate-row"') == n
