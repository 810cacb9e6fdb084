"""The storeroom pages: storerooms in scope, stock lines, the ledger with receipts and
adjustments, low stock, the materials catalogue, and the home page's low-stock warning."""

from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from logistics.models import AuditEvent, Role
from maintenance import storeroom, stores
from maintenance.models import Material, Stock, StockMovement
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english(client):
    """Messages are asserted in English (Chinese is the default language)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def store(campus):
    return f.StoreroomFactory(
        campus=campus, code="KF1", name="松北维修库房", name_en="Songbei store"
    )


@pytest.fixture
def far_store(other_campus):
    return f.StoreroomFactory(campus=other_campus, code="KF9", name_en="Jiangnan store")


def material(code, cost="2.50", **fields):
    return f.MaterialFactory(code=code, name_en=code.title(), unit_cost=cost, **fields)


@pytest.fixture
def washers(store):
    return f.stock(store, material("washer"), balance=10, low_at=3)


@pytest.fixture
def cable(store):
    """Two metres of cable left with a warning at five: low."""
    return f.stock(
        store, material("cable", cost="4.00", unit="米", unit_en="m"), balance=2, low_at=5
    )


@pytest.fixture
def head(campus):
    department = f.DepartmentFactory(code="repairs", areas=["maintenance_utilities"])
    return f.user_with_role(Role.DEPARTMENT_HEAD, campus=campus, department=department)


def go(name, *args):
    return reverse(f"maintenance:{name}", args=args)


# --- Who may open what -------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_sign_in(client, store, washers):
    for address in [
        go("storeroom_list"),
        go("low_stock"),
        go("storeroom_detail", store.pk),
        go("stock_detail", washers.pk),
        go("material_list"),
        go("material_edit", 0),
    ]:
        response = client.get(address)
        assert response.status_code == 302 and reverse("login") in response["Location"]


def test_residents_and_other_staff_find_no_storeroom(client, student, store, washers):
    for user in [student, f.user_with_role(Role.DORM_MANAGER), f.user_with_role(Role.AUDITOR)]:
        client.force_login(user)
        for address in [
            go("storeroom_list"),
            go("low_stock"),
            go("storeroom_detail", store.pk),
            go("stock_detail", washers.pk),
            go("material_list"),
        ]:
            assert client.get(address).status_code == 404, (user, address)


def test_technicians_read_the_storeroom_of_their_campus(client, plumber, store, washers):
    client.force_login(plumber)
    for address in [
        go("storeroom_list"),
        go("low_stock"),
        go("storeroom_detail", store.pk),
        go("stock_detail", washers.pk),
    ]:
        assert client.get(address).status_code == 200
    # but see no form to change it
    body = client.get(go("stock_detail", washers.pk)).content.decode()
    assert "receipt-form" not in body and "adjustment-form" not in body
    assert "stock-add-form" not in client.get(go("storeroom_detail", store.pk)).content.decode()


def test_technicians_cannot_receive_adjust_add_or_edit_materials(client, plumber, store, washers):
    client.force_login(plumber)
    assert client.post(go("stock_receipt", washers.pk), {"quantity": "5"}).status_code == 404
    data = {"quantity": "-1", "reason": "丢失"}
    assert client.post(go("stock_adjustment", washers.pk), data).status_code == 404
    data = {"material": material("tape").pk, "low_at": "1"}
    assert client.post(go("stock_add", store.pk), data).status_code == 404
    assert client.get(go("material_list")).status_code == 404
    assert client.get(go("material_edit", washers.material.pk)).status_code == 404
    washers.refresh_from_db()
    assert washers.balance == 10 and StockMovement.objects.count() == 1


def test_a_storeroom_of_another_campus_is_not_there(
    client, dispatcher, plumber, far_store, other_dispatcher
):
    far_stock = f.stock(far_store, material("fuse"), balance=4)
    for user in [dispatcher, plumber]:
        client.force_login(user)
        assert client.get(go("storeroom_detail", far_store.pk)).status_code == 404
        assert client.get(go("stock_detail", far_stock.pk)).status_code == 404
        assert client.post(go("stock_receipt", far_stock.pk), {"quantity": "1"}).status_code == 404
        assert far_store.pk not in [
            s.pk for s in client.get(go("storeroom_list")).context["storerooms"]
        ]
    client.force_login(other_dispatcher)
    assert client.get(go("stock_detail", far_stock.pk)).status_code == 200
    far_stock.refresh_from_db()
    assert far_stock.balance == 4


def test_keepers_of_the_campus_and_administrators_open_everything(
    client, dispatcher, head, admin, store, far_store, washers
):
    for user in [dispatcher, head, admin]:
        client.force_login(user)
        for address in [
            go("storeroom_list"),
            go("storeroom_detail", store.pk),
            go("stock_detail", washers.pk),
            go("material_list"),
            go("material_edit", 0),
        ]:
            assert client.get(address).status_code == 200, (user, address)
        assert "receipt-form" in client.get(go("stock_detail", washers.pk)).content.decode()
    client.force_login(admin)
    assert client.get(go("storeroom_detail", far_store.pk)).status_code == 200


def test_a_head_of_another_service_sees_no_storeroom(client, campus, store):
    dining = f.DepartmentFactory(code="dining", areas=["dining"])
    client.force_login(f.user_with_role(Role.DEPARTMENT_HEAD, campus=campus, department=dining))
    assert client.get(go("storeroom_list")).context["storerooms"] == []
    assert client.get(go("storeroom_detail", store.pk)).status_code == 404
    assert client.get(go("material_list")).status_code == 404


def test_get_never_changes_anything(client, dispatcher, store, washers):
    client.force_login(dispatcher)
    for address in [
        go("stock_add", store.pk),
        go("stock_receipt", washers.pk),
        go("stock_adjustment", washers.pk),
    ]:
        assert client.get(address).status_code == 405
    assert StockMovement.objects.count() == 1 and Stock.objects.count() == 1


# --- Storerooms --------------------------------------------------------------------------------


def test_the_list_counts_materials_and_low_ones(client, dispatcher, store, washers, cable):
    quiet = f.StoreroomFactory(campus=store.campus, code="KF2")
    # an inactive material at zero is not a shortage
    f.stock(store, material("old-tap", is_active=False), balance=0, low_at=1)
    client.force_login(dispatcher)
    rows = {s.pk: s for s in client.get(go("storeroom_list")).context["storerooms"]}
    assert (rows[store.pk].material_count, rows[store.pk].low_count) == (3, 1)
    assert (rows[quiet.pk].material_count, rows[quiet.pk].low_count) == (0, 0)


@pytest.mark.parametrize("rooms", [1, 15])
def test_the_list_query_count_does_not_grow(
    client, dispatcher, campus, rooms, django_assert_num_queries
):
    for n in range(rooms):
        room = f.StoreroomFactory(campus=campus)
        f.stock(room, material(f"m{n}"), balance=n, low_at=3)
    client.force_login(dispatcher)
    # session, user with role grants, the roster campus (storerooms_for), the storerooms with
    # their counts, the unread notifications
    with django_assert_num_queries(5):
        response = client.get(go("storeroom_list"))
    assert len(response.context["storerooms"]) == rooms


def test_the_stock_lines_show_cost_balance_value_and_the_low_badge(
    client, plumber, store, washers, cable
):
    client.force_login(plumber)
    response = client.get(go("storeroom_detail", store.pk))
    lines = {line.material.code: line for line in response.context["lines"]}
    assert lines["washer"].value == Decimal("25") and not lines["washer"].low
    assert lines["cable"].value == Decimal("8") and lines["cable"].low
    assert response.context["total_value"] == Decimal("33")
    body = response.content.decode()
    assert body.count('data-testid="low-badge"') == 1
    assert "2.00 m" in body and "¥4.00" in body and "¥33.00" in body


@pytest.mark.parametrize("lines", [1, 20])
def test_the_storeroom_query_count_does_not_grow(
    client, dispatcher, store, lines, django_assert_num_queries
):
    for n in range(lines):
        f.stock(store, material(f"m{n}"), balance=n)
    client.force_login(dispatcher)
    # session, user with role grants, the roster campus (storerooms_for), the storeroom, its
    # stock lines with materials, the active materials for the add form, the unread
    # notifications
    with django_assert_num_queries(7):
        response = client.get(go("storeroom_detail", store.pk))
    assert len(response.context["lines"]) == lines


# --- Adding a material to a storeroom ----------------------------------------------------------


def test_a_keeper_adds_a_material_to_the_storeroom(client, dispatcher, store):
    tape = material("tape")
    client.force_login(dispatcher)
    response = client.post(go("stock_add", store.pk), {"material": tape.pk, "low_at": "2"})
    stock = Stock.objects.get(storeroom=store, material=tape)
    assert response.status_code == 302 and response["Location"] == go("stock_detail", stock.pk)
    assert stock.balance == 0 and stock.low_at == 2
    assert AuditEvent.objects.filter(action="stock.create", actor=dispatcher).exists()


def test_adding_a_material_twice_says_so(client, dispatcher, store, washers):
    client.force_login(dispatcher)
    response = client.post(
        go("stock_add", store.pk), {"material": washers.material.pk, "low_at": "1"}
    )
    assert response.status_code == 400
    assert "This storeroom already keeps Washer." in response.content.decode()
    assert Stock.objects.filter(storeroom=store).count() == 1


@pytest.mark.parametrize(
    "low_at, message",
    [
        ("-1", "Ensure this value is greater than or equal to 0."),
        ("abc", "Enter a number."),
        ("1e9", "Ensure this value is less than or equal to 100000."),
        ("0.001", "Ensure that there are no more than 2 decimal places."),
    ],
)
def test_a_bad_low_stock_level_is_refused(client, dispatcher, store, low_at, message):
    client.force_login(dispatcher)
    response = client.post(
        go("stock_add", store.pk), {"material": material("tape").pk, "low_at": low_at}
    )
    assert response.status_code == 400 and message in response.content.decode()
    assert not Stock.objects.exists()


def test_an_inactive_material_cannot_be_added(client, dispatcher, store):
    old = material("old", is_active=False)
    client.force_login(dispatcher)
    response = client.post(go("stock_add", store.pk), {"material": old.pk, "low_at": "0"})
    assert response.status_code == 400
    assert not Stock.objects.exists()


def test_a_dispatcher_of_another_campus_cannot_add_to_this_storeroom(
    client, other_dispatcher, store
):
    client.force_login(other_dispatcher)
    data = {"material": material("tape").pk, "low_at": "0"}
    assert client.post(go("stock_add", store.pk), data).status_code == 404
    assert not Stock.objects.exists()


# --- The ledger --------------------------------------------------------------------------------


def test_a_receipt_raises_the_balance_and_shows_in_the_ledger(client, dispatcher, washers):
    client.force_login(dispatcher)
    response = client.post(
        go("stock_receipt", washers.pk), {"quantity": "5", "reason": "采购单 2025-01"}
    )
    assert response.status_code == 302
    washers.refresh_from_db()
    assert washers.balance == 15 == stores.ledger_balance(washers)
    page = client.get(go("stock_detail", washers.pk))
    body = page.content.decode()
    assert "Received 5 pc." in body
    assert page.context["ledger_agrees"]
    assert "Balance 15.00 = sum of the movements 15.00" in body
    newest = page.context["page"].object_list[0]
    assert (
        newest.kind == "receipt" and newest.reason == "采购单 2025-01" and newest.by == dispatcher
    )


@pytest.mark.parametrize(
    "quantity, message",
    [
        ("abc", "Enter a number."),
        ("1e9", "A quantity may be at most 100000."),
        ("1e100", "A quantity may be at most 100000."),
        ("NaN", "Enter a number."),
        ("0.001", "Use at most two decimal places."),
        ("-1", "Enter a quantity greater than zero."),
        ("0", "Enter a quantity greater than zero."),
        ("", "This field is required."),
        ("1" * 25, "Ensure this value has at most 20 characters"),
    ],
)
def test_malformed_receipts_are_refused_and_nothing_is_recorded(
    client, dispatcher, washers, quantity, message
):
    client.force_login(dispatcher)
    response = client.post(go("stock_receipt", washers.pk), {"quantity": quantity})
    assert response.status_code == 400
    assert message in response.content.decode()
    washers.refresh_from_db()
    assert washers.balance == 10 and StockMovement.objects.count() == 1


def test_an_adjustment_needs_a_reason(client, dispatcher, washers):
    client.force_login(dispatcher)
    for reason in ["", "   "]:
        response = client.post(
            go("stock_adjustment", washers.pk), {"quantity": "-2", "reason": reason}
        )
        assert response.status_code == 400
        assert "This field is required." in response.content.decode() or (
            "Give the reason." in response.content.decode()
        )
    with pytest.raises(stores.RepairInvalid):
        stores.stock_adjust(actor=dispatcher, stock=washers, quantity="-2", reason=" ")
    assert StockMovement.objects.count() == 1


def test_an_adjustment_corrects_the_balance_either_way(client, dispatcher, washers):
    client.force_login(dispatcher)
    data = {"quantity": "−2", "reason": "盘点少了两个"}  # a typographic minus from a phone
    assert client.post(go("stock_adjustment", washers.pk), data).status_code == 302
    data = {"quantity": "0.5", "reason": "找到半包"}
    assert client.post(go("stock_adjustment", washers.pk), data).status_code == 302
    washers.refresh_from_db()
    assert washers.balance == Decimal("8.5") == stores.ledger_balance(washers)
    assert list(
        StockMovement.objects.filter(kind="adjustment")
        .order_by("id")
        .values_list("quantity", flat=True)
    ) == [Decimal("-2"), Decimal("0.5")]


def test_an_adjustment_below_zero_is_refused(client, dispatcher, washers):
    client.force_login(dispatcher)
    response = client.post(
        go("stock_adjustment", washers.pk), {"quantity": "-11", "reason": "损坏"}
    )
    assert response.status_code == 409
    assert "Not enough Washer in stock" in response.content.decode()
    # the typed values are kept
    assert 'value="-11"' in response.content.decode() and "损坏" in response.content.decode()
    washers.refresh_from_db()
    assert washers.balance == 10 and StockMovement.objects.count() == 1


def test_a_double_submitted_receipt_is_recorded_once(client, dispatcher, washers):
    client.force_login(dispatcher)
    token = client.get(go("stock_detail", washers.pk)).context["token"]
    data = {"quantity": "5", "token": token}
    assert client.post(go("stock_receipt", washers.pk), data).status_code == 302
    response = client.post(go("stock_receipt", washers.pk), data, follow=True)
    assert "already recorded" in response.content.decode()
    washers.refresh_from_db()
    assert washers.balance == 15


def test_the_ledger_shows_the_job_of_an_issue(client, dispatcher, plumber, room, student, washers):
    job = f.ticket(room=room, reporter=student, technician=plumber, status="in_progress")
    stores.stock_issue(actor=plumber, stock=washers, ticket=job, quantity="2")
    client.force_login(dispatcher)
    body = client.get(go("stock_detail", washers.pk)).content.decode()
    assert go("ticket_detail", job.pk) in body
    assert "-2" in body and "Issued to a job" in body


def test_a_technician_opens_their_job_page_from_the_ledger(
    client, plumber, campus, room, student, washers
):
    """The request's page answers 404 to a technician: the ledger links their own job's page,
    and shows another technician's job as a number only."""
    mine = f.ticket(room=room, reporter=student, technician=plumber, status="in_progress")
    other = f.technician(campus, skills=["plumbing"], username="plumber2")
    theirs = f.ticket(room=room, reporter=student, technician=other, status="in_progress")
    stores.stock_issue(actor=plumber, stock=washers, ticket=mine, quantity="2")
    stores.stock_issue(actor=other, stock=washers, ticket=theirs, quantity="1")
    client.force_login(plumber)
    body = client.get(go("stock_detail", washers.pk)).content.decode()
    assert go("job", mine.pk) in body
    assert go("ticket_detail", mine.pk) not in body
    assert go("ticket_detail", theirs.pk) not in body and go("job", theirs.pk) not in body
    assert theirs.number in body
    assert client.get(go("job", mine.pk)).status_code == 200


def test_the_qr_tile_shows_only_where_the_page_opens(client, campus, dispatcher):
    outside = f.user_with_role(
        Role.DEPARTMENT_HEAD,
        department=f.DepartmentFactory(code="dining", areas=["dining"]),
        username="head-dining",
    )
    client.force_login(outside)
    assert go("place_list") not in client.get("/").content.decode()
    assert client.get(go("place_list")).status_code == 404
    client.force_login(dispatcher)
    assert go("place_list") in client.get("/").content.decode()
    assert client.get(go("place_list")).status_code == 200


@pytest.mark.parametrize("movements", [3, 120])
def test_the_ledger_query_count_does_not_grow(
    client, dispatcher, washers, movements, django_assert_num_queries
):
    for _ in range(movements):
        stores.stock_receive(actor=dispatcher, stock=washers, quantity="1")
    client.force_login(dispatcher)
    # session, user with role grants, the roster campus (storerooms_for), the stock with material
    # and storeroom, the ledger's count, its page with jobs and people, the ledger's sum, the
    # unread notifications
    with django_assert_num_queries(8):
        response = client.get(go("stock_detail", washers.pk))
    assert len(response.context["page"].object_list) == min(
        movements + 1, storeroom.LEDGER_PAGE_SIZE
    )


def test_the_ledger_pages_newest_first(client, dispatcher, washers):
    for n in range(1, 61):
        stores.stock_receive(actor=dispatcher, stock=washers, quantity=str(n))
    client.force_login(dispatcher)
    first = client.get(go("stock_detail", washers.pk)).context["page"]
    assert first.object_list[0].quantity == 60 and first.paginator.num_pages == 2
    last = client.get(go("stock_detail", washers.pk), {"page": "2"}).context["page"]
    assert last.object_list[len(last.object_list) - 1].quantity == 10  # the first receipt
    assert client.get(go("stock_detail", washers.pk), {"page": "x"}).status_code == 200


# --- Low stock ---------------------------------------------------------------------------------


def test_low_stock_lists_what_is_at_or_below_its_level_in_scope(
    client, plumber, store, far_store, washers, cable
):
    at_level = f.stock(store, material("fuse"), balance=3, low_at=3)
    f.stock(store, material("old", is_active=False), balance=0, low_at=2)
    f.stock(far_store, material("far"), balance=0, low_at=2)
    client.force_login(plumber)
    response = client.get(go("low_stock"))
    assert [s.pk for s in response.context["page"]] == [cable.pk, at_level.pk]


@pytest.mark.parametrize("lows", [1, 30])
def test_the_low_stock_query_count_does_not_grow(
    client, plumber, store, lows, django_assert_num_queries
):
    for n in range(lows):
        f.stock(store, material(f"m{n}"), balance=0, low_at=1)
    client.force_login(plumber)
    # session, user with role grants, the roster campus (storerooms_for), the count, the page with
    # materials, storerooms and campuses, the unread notifications
    with django_assert_num_queries(6):
        response = client.get(go("low_stock"))
    assert len(response.context["page"].object_list) == lows


# --- The home page's warning -------------------------------------------------------------------


def test_the_warning_counts_low_stock_in_scope(plumber, dispatcher, store, far_store, cable):
    f.stock(far_store, material("far"), balance=0, low_at=2)
    f.stock(store, material("fuse"), balance=0, low_at=1)
    for user in [plumber, dispatcher]:
        assert storeroom.low_stock_panel_context(user) == {"count": 2, "storerooms": 1}


def test_no_warning_when_nothing_is_low_or_no_storeroom_is_kept(
    plumber, student, other_dispatcher, washers, cable
):
    assert storeroom.low_stock_panel_context(student) is None
    assert storeroom.low_stock_panel_context(other_dispatcher) is None
    Stock.objects.filter(pk=cable.pk).update(low_at=0)
    assert storeroom.low_stock_panel_context(plumber) is None


def test_the_warning_takes_at_most_two_queries(
    plumber, dispatcher, admin, cable, django_assert_max_num_queries
):
    for user in [plumber, dispatcher, admin]:
        user = type(user).objects.get(pk=user.pk)
        list(user.role_grants.all())  # a fresh user, as on a request
        from logistics.access import grants_of

        grants_of(user)  # the home page has read the grants already
        # the roster campus (storerooms_for; not for administrators), the count
        with django_assert_max_num_queries(2):
            assert storeroom.low_stock_panel_context(user)["count"] == 1


def test_for_a_maintenance_head_the_warning_reads_their_department_too(
    head, cable, django_assert_max_num_queries
):
    from logistics.access import grants_of

    grants_of(head)
    # whether the head's department serves maintenance, the roster campus, the count
    with django_assert_max_num_queries(3):
        assert storeroom.low_stock_panel_context(head)["count"] == 1


def test_the_warning_links_to_the_low_stock_page():
    html = render_to_string("maintenance/store_low_panel.html", {"panel": {"count": 3}})
    assert "3 materials are low in stock." in html
    assert go("low_stock") in html and "alert" in html


# --- The materials catalogue -------------------------------------------------------------------


def material_data(**over):
    data = {
        "code": "lock-core",
        "name": "锁芯",
        "name_en": "Lock core",
        "unit": "个",
        "unit_en": "pc",
        "unit_cost": "35.00",
        "is_active": "on",
    }
    data.update(over)
    return data


def test_a_keeper_creates_a_material_at_pk_zero(client, dispatcher):
    client.force_login(dispatcher)
    assert client.get(go("material_edit", 0)).context["is_new"]
    response = client.post(go("material_edit", 0), material_data())
    assert response.status_code == 302
    created = Material.objects.get(code="lock-core")
    assert created.unit_cost == Decimal("35.00") and created.is_active
    assert AuditEvent.objects.filter(action="material.create", target_id=str(created.pk)).exists()


def test_a_duplicate_code_or_a_bad_cost_is_refused(client, dispatcher, washers):
    client.force_login(dispatcher)
    for data, message in [
        (material_data(code="washer"), "Material with this Code already exists."),
        (material_data(unit_cost="-1"), "Ensure this value is greater than or equal to 0."),
        (material_data(unit_cost="abc"), "Enter a number."),
        (material_data(unit_cost="1e20"), "Ensure that there are no more than 10 digits in total."),
        (material_data(code="锁 芯!"), "Enter a valid “slug”"),
        (material_data(name=""), "This field is required."),
    ]:
        response = client.post(go("material_edit", 0), data)
        assert response.status_code == 400, data
        assert message in response.content.decode(), message
    assert Material.objects.count() == 1


def test_a_new_unit_cost_leaves_past_movements_alone(
    client, dispatcher, plumber, room, student, washers
):
    # Given a job that drew two washers at 2.50
    job = f.ticket(room=room, reporter=student, technician=plumber, status="in_progress")
    stores.stock_issue(actor=plumber, stock=washers, ticket=job, quantity="2")
    # When the dispatcher changes the washers' cost to 4.00
    client.force_login(dispatcher)
    data = material_data(code="washer", name="垫片", unit_cost="4.00")
    assert client.post(go("material_edit", washers.material.pk), data).status_code == 302
    # Then the past movements keep their cost, and so does the job
    assert set(StockMovement.objects.values_list("unit_cost", flat=True)) == {Decimal("2.50")}
    assert stores.job_material_cost(job) == Decimal("5.00")
    # and the next draw is at the new cost
    stores.stock_issue(actor=plumber, stock=washers, ticket=job, quantity="1")
    assert stores.job_material_cost(job) == Decimal("9.00")
    event = AuditEvent.objects.get(action="material.update")
    assert event.changes["unit_cost"] == ["2.50", "4.00"]


def test_the_catalogue_searches_and_keeps_its_query_count(
    client, dispatcher, django_assert_num_queries
):
    for n in range(30):
        material(f"pipe-{n}")
    material("washer")
    client.force_login(dispatcher)
    # session, user with role grants, the count, the page, the unread notifications
    with django_assert_num_queries(5):
        response = client.get(go("material_list"))
    assert response.context["page"].paginator.count == 31
    response = client.get(go("material_list"), {"q": "wash"})
    assert [m.code for m in response.context["page"]] == ["washer"]


def test_an_empty_post_shows_what_is_required(client, dispatcher):
    client.force_login(dispatcher)
    response = client.post(go("material_edit", 0), {})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not Material.objects.exists()


def test_an_unknown_material_is_not_there(client, dispatcher):
    client.force_login(dispatcher)
    assert client.get(go("material_edit", 999)).status_code == 404
