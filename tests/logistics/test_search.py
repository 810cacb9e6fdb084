"""The staff's search (CONTRACT.md "Search"): a student id or its start, a name or its pinyin
initials, a room as S01-101, a building, a ticket, complaint or quality record number, an asset
tag; only among what the caller may see; residents refused; a fixed number of queries."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apartments.models import Asset, AssetType
from apartments.names import pinyin_initials
from logistics.models import Role
from quality import complaints as complaint_services
from quality.models import ComplaintCategory
from tests import factories as f

pytestmark = pytest.mark.django_db

SEARCH = "/api/v1/search/"


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def found(user, q) -> list[tuple[str, str]]:
    response = api(user).get(SEARCH, {"q": q})
    assert response.status_code == 200, response.content
    return [(hit["kind"], hit["label"]) for hit in response.json()]


@pytest.fixture
def town():
    """Two campuses; S01 on the first with 王伟 (2501000) in 101 and 王芳 reserved in 102;
    J01 on the second with 李明 (2501001)."""
    songbei = f.CampusFactory(code="songbei", name="松北", name_en="Songbei")
    jiangnan = f.CampusFactory(code="jiangnan", name="江南", name_en="Jiangnan")
    s01 = f.BuildingFactory(campus=songbei, code="S01")
    j01 = f.BuildingFactory(campus=jiangnan, code="J01")
    r101 = f.RoomFactory(building=s01, number="101")
    r102 = f.RoomFactory(building=s01, number="102")
    j101 = f.RoomFactory(building=j01, number="101")
    wang = f.resident_living_in(r101, student_id="2501000", name="王伟")
    fang = f.ResidentFactory(campus=songbei, student_id="2502000", name="王芳")
    from apartments.models import Bed, Stay

    Stay.objects.create(
        resident=fang, bed=Bed.objects.filter(room=r102).first(), status=Stay.Status.RESERVED
    )
    li = f.resident_living_in(j101, student_id="2501001", name="李明")
    manager = f.user_with_role(Role.DORM_MANAGER, username="mgr-s01")
    f.BuildingAssignmentFactory(user=manager, building=s01)
    return {
        "songbei": songbei,
        "jiangnan": jiangnan,
        "S01": s01,
        "J01": j01,
        "101": r101,
        "wang": wang,
        "fang": fang,
        "li": li,
        "manager": manager,
        "admin": f.user_with_role(Role.ADMIN, username="root1"),
    }


# --- Pinyin initials ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, initials",
    [
        ("王伟", "ww"),
        ("欧阳娜娜", "oynn"),
        ("单雄信", "sxx"),  # 单 read as a surname (shàn), not dān
        ("曾小贤", "zxx"),
        ("Li Ming", "lm"),
        ("阿卜杜·热合曼", "abdrhm"),
        ("", ""),
        ("123", ""),
    ],
)
def test_pinyin_initials(name, initials):
    assert pinyin_initials(name) == initials


def test_a_residents_initials_follow_their_name(town):
    wang = town["wang"]
    assert wang.name_initials == "ww"
    wang.name = "张伟"
    wang.save(update_fields=["name"])
    wang.refresh_from_db()
    assert wang.name_initials == "zw"


# --- What it finds --------------------------------------------------------------------------


def test_the_start_of_a_student_id_finds_the_residents_exact_first(town):
    hits = found(town["admin"], "2501")
    assert hits == [
        ("resident", "2501000 王伟 · S01-101-1"),
        ("resident", "2501001 李明 · J01-101-1"),
    ]
    assert found(town["admin"], "2501001")[0] == ("resident", "2501001 李明 · J01-101-1")


def test_a_name_or_its_initials_find_the_resident(town):
    assert [label for _, label in found(town["admin"], "王")] == [
        "2501000 王伟 · S01-101-1",
        "2502000 王芳 · S01-102-1",
    ]
    assert found(town["admin"], "ww") == [("resident", "2501000 王伟 · S01-101-1")]
    assert found(town["admin"], "WF") == [("resident", "2502000 王芳 · S01-102-1")]
    # Full-width letters from a Chinese keyboard are the same letters.
    assert found(town["admin"], "ｗｗ") == [("resident", "2501000 王伟 · S01-101-1")]


def test_a_room_and_a_building(town):
    assert found(town["admin"], "S01-101") == [("room", "S01-101")]
    assert found(town["admin"], "s01-10") == [("room", "S01-101"), ("room", "S01-102")]
    hits = api(town["admin"]).get(SEARCH, {"q": "S01"}).json()
    assert [(h["kind"], h["url"]) for h in hits] == [
        ("building", reverse("apartments:building_detail", args=[town["S01"].pk]))
    ]


def test_a_ticket_by_number(town):
    ticket = f.ticket(room=town["101"], reporter=town["wang"].user, description="水龙头漏水")
    dispatcher = f.dispatcher(town["songbei"])
    for q in (f"#{ticket.pk}", str(ticket.pk)):
        hits = api(dispatcher).get(SEARCH, {"q": q}).json()
        assert [h["kind"] for h in hits] == ["ticket"], q
        assert hits[0]["url"] == reverse("maintenance:ticket_detail", args=[ticket.pk])
        assert "水龙头漏水" in hits[0]["label"]
    # Another campus's dispatcher does not learn it exists.
    assert found(f.dispatcher(town["jiangnan"]), f"#{ticket.pk}") == []


def test_an_asset_by_its_tag(town):
    chair = AssetType.objects.create(
        code="chair", name="椅子", name_en="Chair", repair_cost=30, replacement_cost=120
    )
    Asset.objects.create(tag="S01-101-CH1", asset_type=chair, room=town["101"])
    Asset.objects.create(tag="S01-101-CH2", asset_type=chair, room=town["101"])
    hits = found(town["manager"], "S01-101-CH")
    assert hits == [("asset", "S01-101-CH1 椅子"), ("asset", "S01-101-CH2 椅子")]
    assert found(town["manager"], "s01-101-ch2") == [("asset", "S01-101-CH2 椅子")]


def test_a_complaint_by_number_for_those_who_handle_it(town):
    department = f.DepartmentFactory(code="apartments-center")
    category = ComplaintCategory.objects.create(
        code="doors", name="门锁", name_en="Doors", department=department
    )
    complaint = complaint_services.complaint_submit(
        actor=town["wang"].user, category=category, subject="门锁坏", text="101 门锁坏了"
    )
    auditor = f.user_with_role(Role.AUDITOR, username="aud1")
    hits = api(auditor).get(SEARCH, {"q": f"CP-{complaint.pk}"}).json()
    assert [(h["kind"], h["label"]) for h in hits] == [("complaint", f"CP-{complaint.pk}")]
    assert hits[0]["url"] == reverse("quality:complaint_detail", args=[complaint.pk])
    # A technician, staff but not handling complaints, finds nothing by that number.
    assert found(f.technician(town["songbei"]), f"CP-{complaint.pk}") == []


# --- Only what the caller may see ---------------------------------------------------------


def test_a_dorm_manager_finds_only_their_buildings_residents_and_rooms(town):
    manager = town["manager"]
    assert [label for _, label in found(manager, "2501")] == ["2501000 王伟 · S01-101-1"]
    assert found(manager, "李明") == []
    assert found(manager, "J01-101") == []
    assert found(manager, "J01") == []


def test_residents_may_not_search(town):
    response = api(town["wang"].user).get(SEARCH, {"q": "2501"})
    assert response.status_code == 403
    assert APIClient().get(SEARCH, {"q": "2501"}).status_code in (401, 403)


@pytest.mark.parametrize("q", ["", "   ", "x" * 101])
def test_an_empty_or_too_long_query_is_400(town, q):
    response = api(town["admin"]).get(SEARCH, {"q": q})
    assert response.status_code == 400
    assert response.json()["errors"]["q"]


def test_hostile_text_finds_nothing_and_breaks_nothing(town):
    for q in ["'; DROP TABLE apartments_resident; --", "%", "_", "\\", "<script>", "S01-%"]:
        assert found(town["admin"], q) == [], q
    assert found(town["admin"], "2501")  # still there


def test_at_most_twenty_hits(town):
    for n in range(25):
        f.ResidentFactory(campus=town["songbei"], student_id=f"26{n:05d}", name=f"赵{n}")
    assert len(found(town["admin"], "26")) == 20
    client = Client()
    client.force_login(town["admin"])
    html = client.get(reverse("search"), {"q": "26"}).content.decode()
    assert html.count('data-testid="search-hit"') == 20
    assert 'data-testid="search-truncated"' in html


@pytest.mark.parametrize("extra", [0, 30])
def test_the_query_count_does_not_grow(town, extra, django_assert_num_queries):
    for n in range(extra):
        f.ResidentFactory(campus=town["songbei"], student_id=f"2501{n:03d}9", name=f"王{n}")
    token, _ = Token.objects.get_or_create(user=town["manager"])
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    # the token's user with their grants; the residents with their place
    with django_assert_num_queries(2):
        assert client.get(SEARCH, {"q": "王"}).status_code == 200
    # …and, for what could also be a building code, an asset tag or a record number: the
    # buildings, the assets, the ticket and the three kinds of quality record
    with django_assert_num_queries(8):
        assert client.get(SEARCH, {"q": "2501"}).status_code == 200


# --- The page ------------------------------------------------------------------------------


def test_the_search_page_groups_hits_and_the_box_is_in_the_menu_for_staff(town, client):
    client.force_login(town["admin"])
    html = client.get(reverse("search"), {"q": "王"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="nav-search"' in html
    assert 'data-testid="search-group-resident"' in html
    assert html.count('data-testid="search-hit"') == 2
    assert 'data-testid="search-truncated"' not in html
    assert reverse("apartments:resident_card", args=[town["wang"].pk]) in html

    html = client.get(reverse("search"), {"q": "<b>x</b>"}).content.decode()
    assert 'data-testid="search-empty"' in html
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html

    html = client.get(reverse("search"), {"q": "x" * 101}).content.decode()
    assert 'data-testid="search-error"' in html


def test_residents_get_no_search_page_and_no_box(town, client):
    client.force_login(town["wang"].user)
    assert client.get(reverse("search"), {"q": "2501"}).status_code == 404
    assert 'data-testid="nav-search"' not in client.get(reverse("home")).content.decode()
    assert Client().get(reverse("search")).status_code == 302  # to sign in


def test_the_resident_card_is_for_the_staff_who_may_see_them(town, client):
    url = reverse("apartments:resident_card", args=[town["wang"].pk])
    client.force_login(town["manager"])
    html = client.get(url).content.decode()
    assert "王伟" in html and "S01-101-1" in html
    assert client.get(reverse("apartments:resident_card", args=[town["li"].pk])).status_code == 404
    client.force_login(town["wang"].user)
    assert client.get(url).status_code == 404
