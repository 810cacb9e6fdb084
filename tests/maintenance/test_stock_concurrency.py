"""Two technicians draw the last unit at the same instant (PostgreSQL only: SQLite serialises
every write anyway).

Threads, each with its own database connection, are released together by a barrier. The
conditional UPDATE in maintenance.stores takes the stock's row lock: the first draw gets the
unit, the others wait, see the balance it left and are refused; the balance stays the sum of
the movements and never goes below zero.
"""

from decimal import Decimal

import pytest

from apartments.models import Storeroom
from maintenance import stores
from maintenance.models import StockMovement, Ticket
from tests import factories as f
from tests.conftest import requires_postgres
from tests.threads import race

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def draw(technician, stock, job, quantity=1) -> str:
    """The outcome of one draw: "ok" or the name of the error."""
    try:
        stores.stock_issue(actor=technician, stock=stock, ticket=job, quantity=quantity)
    except stores.RepairError as error:
        return type(error).__name__
    return "ok"


@pytest.fixture
def world():
    """A campus with a room, a storeroom, and one job in progress per technician."""
    room = f.RoomFactory()
    campus = room.building.campus
    reporter = f.resident_living_in(room).user
    store = Storeroom.objects.create(campus=campus, code="KF", name="库房")

    def jobs(n):
        rows = []
        for i in range(n):
            technician = f.technician(campus)
            rows.append(
                f.ticket(
                    room=room,
                    reporter=reporter,
                    technician=technician,
                    status=Ticket.Status.IN_PROGRESS,
                    description=f"job {i}",
                )
            )
        return rows

    return {"store": store, "jobs": jobs}


def test_two_technicians_drawing_the_last_unit_one_gets_it(world):
    # Given one unit left and two jobs of two technicians
    last = f.stock(world["store"], balance=1)
    first, second = world["jobs"](2)

    # When both draw it at the same instant
    outcomes = race(2, lambda i: draw([first, second][i].technician, last, [first, second][i]))

    # Then one has it and the other is told there is not enough
    assert sorted(outcomes) == ["InsufficientStock", "ok"]
    last.refresh_from_db()
    assert last.balance == Decimal("0") == stores.ledger_balance(last)
    issues = StockMovement.objects.filter(stock=last, kind=StockMovement.Kind.ISSUE)
    assert issues.count() == 1
    assert issues.get().quantity == Decimal("-1")


def test_eight_draws_on_five_units_five_succeed(world):
    stock = f.stock(world["store"], balance=5)
    jobs = world["jobs"](8)

    outcomes = race(8, lambda i: draw(jobs[i].technician, stock, jobs[i]))

    assert sorted(outcomes) == ["InsufficientStock"] * 3 + ["ok"] * 5
    stock.refresh_from_db()
    assert stock.balance == Decimal("0") == stores.ledger_balance(stock)
    assert StockMovement.objects.filter(stock=stock, kind="issue").count() == 5


def test_draws_and_receipts_at_once_keep_the_balance_the_sum_of_the_movements(world):
    # Given two units, six technicians drawing one each and a dispatcher receiving three
    stock = f.stock(world["store"], balance=2)
    jobs = world["jobs"](6)
    keeper = f.user_with_role("admin")

    def work(i):
        if i == 6:
            stores.stock_receive(actor=keeper, stock=stock, quantity=3)
            return "received"
        return draw(jobs[i].technician, stock, jobs[i])

    outcomes = race(7, work)

    # Then however the draws fell around the receipt, nothing went below zero and the ledger
    # adds up to the balance
    successes = outcomes.count("ok")
    assert 2 <= successes <= 5
    stock.refresh_from_db()
    assert stock.balance == Decimal(5 - successes) == stores.ledger_balance(stock)
    assert stock.balance >= 0


def test_two_phones_posting_the_last_unit_one_is_told_there_is_none_left(world):
    from django.test import Client
    from django.urls import reverse

    last = f.stock(world["store"], balance=1)
    jobs = world["jobs"](2)
    clients = []
    for job in jobs:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(job.technician)
        clients.append(client)

    def post(i):
        response = clients[i].post(
            reverse("maintenance:job_issue", args=[jobs[i].pk]),
            {"stock": last.pk, "quantity": "1"},
        )
        return response.status_code

    assert sorted(race(2, post)) == [302, 409]
    last.refresh_from_db()
    assert last.balance == 0 == stores.ledger_balance(last)
