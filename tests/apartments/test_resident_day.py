# ruff: noqa: F811 (the inspection tests' fixtures, imported, are the tests' arguments)
"""A resident's day (issue 18): the home page says what waits for them (a condition report to
accept, a charge to dispute in its window, a repair to confirm, a survey), and "My room" shows
the roommates, the room's fittings and their condition, the charges and the room's repairs
(maintenance's part, added as a panel on apartments' page)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from apartments import condition_reports as cr
from apartments import inspections
from apartments.models import Charge, Stay
from maintenance.models import Ticket
from tests.apartments.test_inspections import _in_english, complete, start, world  # noqa: F401
from tests.factories import ticket

pytestmark = pytest.mark.django_db

HOME = reverse("home")
MY_ROOM = reverse("apartments:my_room")


def stay_of(resident):
    return Stay.objects.get(resident=resident, status=Stay.Status.ACTIVE)


def charge_mover(world, **by_tag):
    inspection = start(world)
    complete(world, inspection, **by_tag)
    return inspection


def test_home_lists_the_condition_report_and_the_charge_waiting_for_the_resident(client, world):
    mover = world["mover"]
    # Given a pending condition report and a chair charged to the mover, disputable for 7 days
    cr.condition_report_open(stay=stay_of(mover))
    charge_mover(world, CH1={"result": "damaged", "resident_ids": [mover.pk]})
    client.force_login(mover.user)

    # When the mover opens the service hall
    page = client.get(HOME).content.decode()

    # Then both wait for them, each linking to where they act
    assert 'data-testid="waiting-panel"' in page
    assert "Check your room&#x27;s condition report" in page
    assert "A charge of 30.00 yuan for Chair" in page
    assert f"{MY_ROOM}#charges" in page and f"{MY_ROOM}#condition-report" in page

    # Once disputed, the charge no longer waits; once confirmed, nor does the report
    charge = Charge.objects.get()
    client.post(reverse("apartments:charge_dispute", args=[charge.pk]), {"text": "It was old"})
    report = stay_of(mover).condition_report
    client.post(reverse("apartments:condition_report_confirm", args=[report.pk]))
    page = client.get(HOME).content.decode()
    assert 'data-testid="waiting-panel"' not in page


def test_a_charge_past_its_dispute_window_or_paid_does_not_wait(client, world):
    mover = world["mover"]
    inspection = charge_mover(world, CH1={"result": "damaged", "resident_ids": [mover.pk]})
    inspection.dispute_until = timezone.now() - dt.timedelta(minutes=1)
    inspection.save(update_fields=["dispute_until"])
    client.force_login(mover.user)
    assert "A charge of" not in client.get(HOME).content.decode()


def test_the_roommate_sees_nothing_of_the_movers_charge(client, world):
    charge_mover(world, CH1={"result": "damaged", "resident_ids": [world["mover"].pk]})
    client.force_login(world["roommate"].user)
    assert 'data-testid="waiting-panel"' not in client.get(HOME).content.decode()


def test_a_repair_done_waits_for_its_reporters_confirmation(client, world):
    mover = world["mover"]
    done = ticket(room=world["room"], reporter=mover.user, status=Ticket.Status.DONE)
    ticket(room=world["room"], reporter=mover.user, status=Ticket.Status.ASSIGNED)
    client.force_login(mover.user)
    page = client.get(HOME).content.decode()
    assert f"Repair #{done.pk} (" in page and "is done: confirm it" in page
    assert reverse("maintenance:ticket_detail", args=[done.pk]) in page
    assert page.count('data-testid="waiting-item"') == 1


def test_my_room_shows_roommates_fittings_repairs_and_charges(client, world):
    mover, roommate, room = world["mover"], world["roommate"], world["room"]
    charge_mover(world, CH1={"result": "damaged", "resident_ids": [mover.pk]})
    # A repair the roommate filed for the room, and one of the room next door
    ours = ticket(room=room, reporter=roommate.user, description="Tap drips in the washroom")
    next_door_room = stay_of(world["next_door"]).bed.room
    theirs = ticket(room=next_door_room, reporter=world["next_door"].user, description="Door")
    client.force_login(mover.user)

    page = client.get(MY_ROOM).content.decode()

    assert 'data-testid="roommates"' in page and roommate.name in page
    assert world["next_door"].name not in page
    # No condition report: the fittings are listed with their condition (the chair damaged)
    assert 'data-testid="room-assets"' in page
    assert "CH1" in page and "Damaged" in page and "DK1" in page
    # maintenance's panel: the room's repairs, whoever filed them, and "report a repair here"
    assert 'data-testid="room-repairs"' in page
    assert reverse("maintenance:ticket_detail", args=[ours.pk]) in page
    assert reverse("maintenance:ticket_detail", args=[theirs.pk]) not in page
    assert f'href="{reverse("maintenance:ticket_new")}" data-testid="report-repair-here"' in page
    # the charge, with its dispute form
    assert 'data-testid="my-charges"' in page and "¥30.00" in page
    assert 'data-testid="dispute-form"' in page


def test_my_room_of_a_reserved_stay_has_no_repairs_panel(client, world):
    stay = stay_of(world["mover"])
    stay.status = Stay.Status.RESERVED
    stay.checked_in_at = None
    stay.save(update_fields=["status", "checked_in_at"])
    client.force_login(world["mover"].user)
    page = client.get(MY_ROOM).content.decode()
    assert "Reserved for you" in page
    assert 'data-testid="room-repairs"' not in page and 'data-testid="room-assets"' not in page


@pytest.mark.parametrize("n_charges", [1, 3])
def test_the_residents_home_query_count_does_not_grow_with_what_waits(
    client, world, n_charges, django_assert_num_queries
):
    mover = world["mover"]
    tags = ["CH1", "DK1", "LP1"][:n_charges]
    charge_mover(world, **{t: {"result": "damaged", "resident_ids": [mover.pk]} for t in tags})
    cr.condition_report_open(stay=stay_of(mover))
    for _ in range(n_charges):
        ticket(room=world["room"], reporter=mover.user, status=Ticket.Status.DONE)
    client.force_login(mover.user)
    client.get(HOME)  # the bell's unread count and the categories go into the cache
    # session, user with role grants; waiting: the repairs to confirm, the condition report,
    # the charges, the surveys; the hazards panel (the open hazards of the resident's room);
    # the move-out panel (the resident, the notices); the awards panel is cached
    with django_assert_num_queries(9):
        response = client.get(HOME)
    assert response.content.decode().count('data-testid="waiting-item"') == 2 * n_charges + 1


def test_staff_with_nothing_waiting_see_no_waiting_panel(client, world):
    client.force_login(world["manager"])
    assert 'data-testid="waiting-panel"' not in client.get(HOME).content.decode()


def test_may_dispute_is_the_rule_the_home_page_follows(world):
    # the home page's filter and inspections.may_dispute agree on a fresh charge
    mover = world["mover"]
    charge_mover(world, CH1={"result": "damaged", "resident_ids": [mover.pk]})
    assert inspections.may_dispute(Charge.objects.select_related("item__inspection").get())
