"""A student double-taps "File" (PostgreSQL only: SQLite serialises every write anyway).

The filing service locks the reporter's row while it looks for a duplicate and counts their
requests under way (maintenance.services._reporter_lock): of several filings of one fault sent
at the same instant, one is filed and the others are told it is a duplicate; filings of
different faults all go through, up to the limit of requests under way.
"""

import pytest

from maintenance import services
from maintenance.models import Category, Ticket
from tests import factories as f
from tests.conftest import requires_postgres
from tests.threads import race

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def file(reporter, category) -> str:
    try:
        services.ticket_file(reporter=reporter, category=category, description="水龙头漏水")
    except services.RepairError as error:
        return type(error).__name__
    return "ok"


def test_one_fault_sent_four_times_at_once_is_filed_once():
    room = f.RoomFactory()
    reporter = f.resident_living_in(room).user
    category = f.category("plumbing")
    outcomes = race(4, lambda i: file(reporter, category))
    assert sorted(outcomes) == ["RepairError", "RepairError", "RepairError", "ok"]
    ticket = Ticket.objects.get(reporter=reporter)
    assert ticket.room_id == room.pk and ticket.building_id == room.building_id


def test_different_faults_sent_at_once_stop_at_the_limit():
    room = f.RoomFactory()
    reporter = f.resident_living_in(room).user
    categories = [
        Category.objects.create(
            code=f"fault-{n}",
            name=f"故障{n}",
            name_en=f"Fault {n}",
            response_minutes=60,
            completion_hours=24,
        )
        for n in range(services.MAX_OPEN_PER_REPORTER + 3)
    ]
    outcomes = race(len(categories), lambda i: file(reporter, categories[i]))
    assert outcomes.count("ok") == services.MAX_OPEN_PER_REPORTER
    assert Ticket.objects.filter(reporter=reporter).count() == services.MAX_OPEN_PER_REPORTER
