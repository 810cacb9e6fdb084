"""The demo university's repairs: a roster, places, a stocked storeroom and requests at every
step, made through the services, and loading it twice changes nothing."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from apartments.demo import DEMO_STUDENT_ID
from apartments.models import Storeroom
from logistics.demo import DEMO_PASSWORD
from logistics.models import AuditEvent, Notification, Role, RoleGrant, User
from maintenance import stores
from maintenance.demo import FAULTS, MATERIALS, STOREROOM_CODE
from maintenance.models import (
    Category,
    Material,
    PublicArea,
    Stock,
    StockMovement,
    Technician,
    Ticket,
    TicketEvent,
)
from maintenance.selectors import deadline_state, tickets_for

pytestmark = pytest.mark.django_db


def _counts():
    models = [
        Category,
        Technician,
        PublicArea,
        Storeroom,
        Material,
        Stock,
        StockMovement,
        Ticket,
        TicketEvent,
        Notification,
        AuditEvent,
        User,
        RoleGrant,
    ]
    return {model.__name__: model.objects.count() for model in models}


def test_seed_demo_makes_the_repair_world_once(client):
    # Given the demo university loaded twice
    call_command("seed_demo", verbosity=0)
    first = _counts()
    balances = dict(Stock.objects.values_list("pk", "balance"))
    call_command("seed_demo", verbosity=0)

    # Then the second run changed nothing
    assert _counts() == first
    assert dict(Stock.objects.values_list("pk", "balance")) == balances

    # The default categories (and the preventive one), three technicians with skills on the
    # dispatcher's campus
    assert first["Category"] == 9
    roster = Technician.objects.select_related("user", "campus")
    assert {t.user.username for t in roster} == {"technician", "technician2", "technician3"}
    assert {t.campus.code for t in roster} == {"songbei"}
    assert all(t.skills.exists() for t in roster)
    for technician in roster:
        assert technician.user.check_password(DEMO_PASSWORD)
        assert RoleGrant.objects.filter(user=technician.user, role=Role.TECHNICIAN).exists()

    # Public areas of a few buildings, and a repair storeroom per campus apart from the
    # apartments' asset storerooms, its ledger adding up, one material low
    names = set(PublicArea.objects.values_list("name", flat=True))
    assert any("洗衣房" in n for n in names) and any("水房" in n for n in names)
    assert any("一楼大厅" in n for n in names)
    repair_stores = Storeroom.objects.filter(code=STOREROOM_CODE)
    assert repair_stores.count() == 2
    assert Storeroom.objects.exclude(code=STOREROOM_CODE).exists()  # the asset storerooms
    assert Material.objects.count() >= len(MATERIALS)
    for stock in Stock.objects.select_related("material"):
        assert stock.balance == stores.ledger_balance(stock), stock
    low = [s for s in Stock.objects.select_related("material") if s.is_low]
    assert {s.material.code for s in low} == {"lock_cylinder"}

    # Requests at every step, made through the services (timelines, audit, notifications)
    tickets = Ticket.objects.filter(description__in=FAULTS.values())
    statuses = set(tickets.values_list("status", flat=True))
    assert statuses == {"submitted", "assigned", "in_progress", "done", "closed", "merged"}
    ratings = set(tickets.filter(status="closed").values_list("rating", "follow_up_needed"))
    assert ratings == {(5, False), (2, True)}
    assert [deadline_state(t) for t in tickets].count("overdue") == 1
    merged = tickets.get(status="merged")
    assert merged.merged_into.status == "in_progress"
    for ticket in tickets:
        assert ticket.events.filter(kind="filed").exists()
        assert AuditEvent.objects.filter(action="repair.file", target_id=str(ticket.pk)).exists()
    assert StockMovement.objects.filter(kind="issue", ticket__in=tickets).count() >= 3

    # The demo student signs in and sees their repairs and what they were told
    student = User.objects.get(username=DEMO_STUDENT_ID)
    own = tickets.filter(reporter=student)
    assert own.count() >= 4
    assert set(own.values_list("pk", flat=True)) <= set(
        tickets_for(student).values_list("pk", flat=True)
    )
    client.post(reverse("login"), {"username": DEMO_STUDENT_ID, "password": DEMO_PASSWORD})
    assert client.session.get("_auth_user_id") == str(student.pk)
    page = client.get(reverse("notifications"))
    assert page.status_code == 200
    assert (
        len(page.context["page"].object_list)
        == Notification.objects.filter(recipient=student).count()
    )
    assert Notification.objects.filter(recipient=student, kind="maintenance.finished").exists()
