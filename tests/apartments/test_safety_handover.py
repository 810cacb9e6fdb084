"""Shift hand-over (交接班): the outgoing lead writes it, the named incoming lead acknowledges
it, after which it is read-only in the service and (PostgreSQL) in the database; a hand-over
waiting too long stands out."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from apartments import handovers
from apartments.models import Handover
from logistics.models import Role
from tests.apartments.safety_data import safety_world, staff_of
from tests.threads import race

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def world():
    return safety_world()


def user(world, who):
    return world[who].user if who == "student" else world[who]


def write(world, *, actor=None, incoming=None, **fields):
    values = {"keys_counted": 212, "equipment_counted": 6, "open_items": "305室热得快待复查\n"}
    return handovers.handover_write(
        actor=actor or world["shift_lead"],
        building=world["S01"],
        incoming=incoming or world["manager"],
        **(values | fields),
    )


# --- the service ---


def test_the_outgoing_lead_writes_and_the_incoming_acknowledges(world):
    handover = write(world, notes="2楼水管滴水，已报修")
    assert handover.outgoing == world["shift_lead"] and handover.incoming == world["manager"]
    assert handover.open_item_lines == ["305室热得快待复查"]
    assert handover.acknowledged_at is None

    handovers.handover_acknowledge(actor=world["manager"], handover=handover)
    handover.refresh_from_db()
    assert handover.acknowledged_by == world["manager"] and handover.acknowledged_at


def test_a_second_acknowledgement_is_refused(world):
    handover = write(world)
    handovers.handover_acknowledge(actor=world["manager"], handover=handover)
    with pytest.raises(handovers.AlreadyAcknowledged):
        handovers.handover_acknowledge(actor=world["manager"], handover=handover)


def test_only_the_named_incoming_lead_acknowledges(world):
    handover = write(world)
    with pytest.raises(handovers.HandoverError):
        handovers.handover_acknowledge(actor=world["shift_lead"], handover=handover)
    with pytest.raises(handovers.NotYours):
        handovers.handover_acknowledge(actor=world["other_manager"], handover=handover)
    handover.refresh_from_db()
    assert handover.acknowledged_at is None


def test_one_hand_over_waits_per_building(world):
    write(world)
    with pytest.raises(handovers.PendingExists):
        write(world)
    assert Handover.objects.count() == 1


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"keys_counted": -1}, "keys_counted"),
        ({"equipment_counted": None}, "equipment_counted"),
        ({"open_items": "x" * 4001}, "open_items"),
    ],
)
def test_bad_input_is_refused(world, fields, field):
    with pytest.raises(handovers.HandoverInvalid) as error:
        write(world, **fields)
    assert error.value.field == field


def test_the_incoming_lead_is_one_of_the_buildings_staff_and_not_the_writer(world):
    with pytest.raises(handovers.HandoverInvalid):
        write(world, incoming=world["other_manager"])
    with pytest.raises(handovers.HandoverInvalid):
        write(world, incoming=world["shift_lead"])


@pytest.mark.parametrize("who", ["other_manager", "head", "auditor", "technician", "student"])
def test_only_the_buildings_staff_write(world, who):
    with pytest.raises(handovers.HandoverError):
        write(world, actor=user(world, who))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_the_database_refuses_to_change_or_delete_an_acknowledged_hand_over(world):
    handover = write(world)
    # Waiting, it may still change (the acknowledgement itself is an UPDATE).
    Handover.objects.filter(pk=handover.pk).update(notes="补充")
    handovers.handover_acknowledge(actor=world["manager"], handover=handover)
    with pytest.raises(IntegrityError), transaction.atomic():
        Handover.objects.filter(pk=handover.pk).update(notes="改写")
    with pytest.raises(IntegrityError), transaction.atomic():
        Handover.objects.filter(pk=handover.pk).delete()
    handover.refresh_from_db()
    assert handover.notes == "补充"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_double_submit_from_two_phones_writes_once():
    world = safety_world()

    def tap(_):
        try:
            return write(world).pk
        except handovers.PendingExists:
            return None

    assert sum(1 for r in race(2, tap) if r) == 1
    assert Handover.objects.count() == 1


def test_a_hand_over_waiting_too_long_is_stale(world, settings):
    settings.SAFETY_HANDOVER_STALE_HOURS = 2
    handover = write(world)
    assert not handovers.is_stale(handover)
    assert handovers.is_stale(handover, timezone.now() + dt.timedelta(hours=3))
    handovers.handover_acknowledge(actor=world["manager"], handover=handover)
    assert not handovers.is_stale(handover, timezone.now() + dt.timedelta(hours=3))


# --- the pages ---


def list_url(building):
    return reverse("apartments:handovers", args=[building.pk])


def new_url(building):
    return reverse("apartments:handover_new", args=[building.pk])


def form(world, **fields):
    return {
        "incoming": world["manager"].pk,
        "keys_counted": "212",
        "equipment_counted": "6",
        "open_items": "3楼消防通道堆放纸箱",
        "notes": "",
    } | fields


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    response = client.get(list_url(world["S01"]))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("who", ["student", "technician", "other_manager", "auditor"])
def test_others_get_404_everywhere(client, world, who):
    handover = write(world)
    client.force_login(user(world, who))
    assert client.get(list_url(world["S01"])).status_code == 404
    assert client.get(new_url(world["S01"])).status_code == 404
    assert client.get(reverse("apartments:handover_detail", args=[handover.pk])).status_code == 404
    ack = reverse("apartments:handover_acknowledge", args=[handover.pk])
    assert client.post(ack).status_code == 404
    handover.refresh_from_db()
    assert handover.acknowledged_at is None


def test_the_head_reads_but_does_not_write(client, world):
    handover = write(world)
    client.force_login(world["head"])
    assert client.get(list_url(world["S01"])).status_code == 200
    detail = client.get(reverse("apartments:handover_detail", args=[handover.pk]))
    assert detail.status_code == 200 and not detail.context["may_acknowledge"]
    assert client.get(new_url(world["S01"])).status_code == 404


def test_the_shift_lead_writes_on_the_page_and_the_manager_acknowledges(client, world):
    client.force_login(world["shift_lead"])
    response = client.post(new_url(world["S01"]), form(world), **EN)
    assert response.status_code == 302
    handover = Handover.objects.get()
    again = client.post(new_url(world["S01"]), form(world), **EN, follow=True)
    assert "waiting to be acknowledged" in again.content.decode()
    assert Handover.objects.count() == 1

    detail = reverse("apartments:handover_detail", args=[handover.pk])
    ack = reverse("apartments:handover_acknowledge", args=[handover.pk])
    assert client.post(ack).status_code == 302  # the writer cannot acknowledge
    handover.refresh_from_db()
    assert handover.acknowledged_at is None

    client.force_login(world["manager"])
    page = client.get(detail, **EN)
    assert page.context["may_acknowledge"] and 'data-testid="handover-acknowledge"' in (
        page.content.decode()
    )
    assert client.get(ack).status_code == 405
    assert client.post(ack).status_code == 302
    handover.refresh_from_db()
    assert handover.acknowledged_by == world["manager"]
    page = client.get(detail, **EN).content.decode()
    assert "read-only" in page and 'data-testid="handover-acknowledge"' not in page


def test_bad_input_on_the_page_answers_400(client, world):
    client.force_login(world["shift_lead"])
    response = client.post(new_url(world["S01"]), form(world, keys_counted="", incoming=""), **EN)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose the incoming shift lead" in page
    assert not Handover.objects.exists()
    stranger = staff_of(world["S02"], Role.SHIFT_LEAD)
    response = client.post(new_url(world["S01"]), form(world, incoming=stranger.pk), **EN)
    assert response.status_code == 400


def test_a_stale_hand_over_stands_out_on_the_buildings_page(client, world, settings):
    settings.SAFETY_HANDOVER_STALE_HOURS = 2
    handover = write(world)
    Handover.objects.filter(pk=handover.pk).update(
        written_at=timezone.now() - dt.timedelta(hours=5)
    )
    client.force_login(world["head"])
    page = client.get(list_url(world["S01"]), **EN).content.decode()
    assert 'data-stale="yes"' in page and "more than 2 hours" in page


@pytest.mark.parametrize("extra", [0, 12])
def test_the_list_pages_query_count_does_not_grow(client, world, extra, django_assert_num_queries):
    for _ in range(extra):
        handover = write(world)
        handovers.handover_acknowledge(actor=world["manager"], handover=handover)
    write(world)
    client.force_login(world["manager"])
    client.get(list_url(world["S01"]))
    # session, user with role grants; the building; the hand-overs with their people; may the
    # caller write (exists)
    with django_assert_num_queries(5):
        response = client.get(list_url(world["S01"]))
    assert len(response.context["rows"]) == 1 + extra


def test_the_demo_has_a_waiting_hand_over_that_stands_out():
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    waiting = Handover.objects.get(acknowledged_at__isnull=True)
    assert handovers.is_stale(waiting)
    assert Handover.objects.filter(acknowledged_at__isnull=False).count() == 3
    call_command("seed_demo", verbosity=0)
    assert Handover.objects.count() == 4


def test_the_building_page_shows_the_waiting_hand_over(client, world, settings):
    settings.SAFETY_HANDOVER_STALE_HOURS = 2
    handover = write(world)
    url = reverse("apartments:building_detail", args=[world["S01"].pk])
    client.force_login(world["head"])
    page = client.get(url, **EN).content.decode()
    assert 'data-testid="building-handover-pending"' in page and 'data-stale="no"' in page
    Handover.objects.filter(pk=handover.pk).update(
        written_at=timezone.now() - dt.timedelta(hours=5)
    )
    assert 'data-stale="yes"' in client.get(url, **EN).content.decode()
    handovers.handover_acknowledge(actor=world["manager"], handover=handover)
    page = client.get(url, **EN).content.decode()
    assert "building-handover-pending" not in page
    assert reverse("apartments:late_returns", args=[world["S01"].pk]) in page
