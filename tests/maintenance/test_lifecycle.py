"""The whole life of one repair, through the services: the story every page and API tells."""

from decimal import Decimal

import pytest

from apartments.models import Storeroom
from logistics.models import Notification
from maintenance import services, stores
from maintenance.models import StockMovement, Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_a_repair_from_filing_to_rating():
    # Given a resident in a room, a dispatcher and a plumber on the campus, a stocked storeroom
    room = f.RoomFactory()
    campus = room.building.campus
    student = f.resident_living_in(room).user
    student.email = "stu@example.edu.cn"
    student.save()
    dispatcher = f.dispatcher(campus)
    plumber = f.technician(campus, skills=["plumbing"])
    store = Storeroom.objects.create(campus=campus, code="KF", name="库房")
    washers = f.stock(store, f.MaterialFactory(unit_cost="2.50"), balance=10)

    # When the student files without naming a room, it is their own room
    ticket = services.ticket_file(
        reporter=student, category=f.category("plumbing"), description="水龙头漏水"
    )
    assert ticket.room == room and ticket.campus == campus and ticket.status == "submitted"

    services.ticket_assign(actor=dispatcher, ticket=ticket, technician=plumber)
    services.ticket_start(actor=plumber, ticket=ticket)
    stores.stock_issue(actor=plumber, stock=washers, ticket=ticket, quantity="3")
    stores.stock_return(actor=plumber, stock=washers, ticket=ticket, quantity="1")
    services.ticket_finish(actor=plumber, ticket=ticket, labour_minutes=45, work_note="换垫片")
    services.ticket_confirm(actor=student, ticket=ticket, rating=2, comment="来得太慢")

    ticket.refresh_from_db()
    washers.refresh_from_db()
    # Then the ticket is closed, rated, flagged for follow-up, costed, and the ledger adds up
    assert ticket.status == Ticket.Status.CLOSED
    assert ticket.rating == 2 and ticket.follow_up_needed
    assert ticket.labour_minutes == 45
    assert stores.job_material_cost(ticket) == Decimal("5.00")
    assert washers.balance == Decimal("8") == stores.ledger_balance(washers)
    assert StockMovement.objects.filter(ticket=ticket).count() == 2
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds == ["filed", "assigned", "started", "finished", "confirmed", "rated"]
    # and the student was told at each step, the technician of the job and its rating
    student_kinds = list(
        Notification.objects.filter(recipient=student).order_by("id").values_list("kind", flat=True)
    )
    assert student_kinds == ["maintenance.assigned", "maintenance.started", "maintenance.finished"]
    assert Notification.objects.filter(recipient=plumber, kind="maintenance.rated").exists()


def test_the_last_unit_cannot_be_drawn_twice():
    room = f.RoomFactory()
    campus = room.building.campus
    plumber = f.technician(campus)
    store = Storeroom.objects.create(campus=campus, code="KF", name="库房")
    one_left = f.stock(store, balance=1)
    first = f.ticket(room=room, technician=plumber, status="in_progress")
    second = f.ticket(
        room=room, technician=plumber, status="in_progress", category_code="electrical"
    )
    stores.stock_issue(actor=plumber, stock=one_left, ticket=first, quantity=1)
    with pytest.raises(stores.InsufficientStock):
        stores.stock_issue(actor=plumber, stock=one_left, ticket=second, quantity=1)
    one_left.refresh_from_db()
    assert one_left.balance == 0 == stores.ledger_balance(one_left)
