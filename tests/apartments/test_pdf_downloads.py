"""PDF downloads of move-out records (issue 18): a completed room inspection with its charges,
for the staff who may read its page, and a student's own charges and clearance slip. Nobody
else gets them (404); they come in the reader's language with the room, the amounts and the
names; their queries do not grow with the charges."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from apartments.models import Asset, Charge, InspectionItem, RoomInspection
from tests.apartments.test_inspections import complete, start, world  # noqa: F401 (fixture)
from tests.pdfs import pdf_text, squeezed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pdf_maker")]


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return gettext(message)


@pytest.fixture
def completed(world):  # noqa: F811 (the fixture imported above)
    """The broken chair of S01-101 charged 30.00 (the price list) to the mover, the desk ok."""
    inspection = start(world)
    return complete(
        world,
        inspection,
        CH1={"result": "damaged", "note": "椅腿断裂", "resident_ids": [world["mover"].pk]},
        DK1={"result": "ok"},
    )


# --- A completed room inspection -------------------------------------------------------------


def test_the_manager_downloads_the_inspection_with_its_charges_in_english(
    client,
    world,  # noqa: F811
    completed,
):
    client.force_login(world["manager"])
    response = client.get(
        reverse("apartments:inspection_pdf", args=[completed.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    text = pdf_text(response)
    room = world["room"]
    assert f"{room}" in text  # S01-101
    assert "Completed" in text and "Chair" in text and "Damaged" in text
    assert "¥30.00" in text and world["mover"].name in squeezed(text)
    assert "椅腿断裂" in squeezed(text)
    assert f"inspection-S01-{room.number}-{completed.pk}.pdf" in response["Content-Disposition"]


def test_the_inspection_comes_in_chinese_for_a_chinese_reader(
    client,
    world,  # noqa: F811
    completed,
):
    client.force_login(world["admin"])
    response = client.get(
        reverse("apartments:inspection_pdf", args=[completed.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    text = squeezed(pdf_text(response))
    assert "椅子" in text and "书桌" in text  # the asset types' Chinese names
    assert squeezed(zh("Completed")) in text and zh("Completed") != "Completed"
    assert "¥30.00" in text


def test_who_may_not_read_the_inspection_gets_404(
    client,
    world,  # noqa: F811
    completed,
):
    url = reverse("apartments:inspection_pdf", args=[completed.pk])
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(world["other_manager"])
    assert client.get(url).status_code == 404
    for resident in (world["mover"], world["roommate"], world["next_door"]):
        client.force_login(resident.user)
        assert client.get(url).status_code == 404


def test_an_inspection_under_way_has_no_pdf(client, world):  # noqa: F811
    inspection = start(world)
    client.force_login(world["manager"])
    assert client.get(reverse("apartments:inspection_pdf", args=[inspection.pk])).status_code == 404
    page = client.get(reverse("apartments:inspection", args=[inspection.pk])).content.decode()
    assert 'data-testid="download-pdf"' not in page


def test_the_inspection_page_offers_the_download_next_to_print(
    client,
    world,  # noqa: F811
    completed,
):
    client.force_login(world["manager"])
    page = client.get(reverse("apartments:inspection", args=[completed.pk])).content.decode()
    assert 'data-testid="print"' in page
    assert reverse("apartments:inspection_pdf", args=[completed.pk]) in page


def more_charges(world, n: int):  # noqa: F811
    """`n` more damaged chairs charged to the mover, by another completed inspection."""
    more = RoomInspection.objects.create(
        room=world["room"], inspector=world["manager"], status=RoomInspection.Status.COMPLETED
    )
    for i in range(n):
        a = Asset.objects.create(tag=f"Y{i}", asset_type=world["chair"], room=world["room"])
        item = InspectionItem.objects.create(inspection=more, asset=a, result="damaged")
        Charge.objects.create(
            item=item,
            resident=world["mover"],
            amount=Decimal("5.50"),
            list_price=30,
            price_reason="x",
        )
    return more


def test_the_inspection_pdf_queries_do_not_grow_with_the_charges(
    client,
    world,  # noqa: F811
    completed,
    django_assert_num_queries,
):
    more = more_charges(world, 4)
    client.force_login(world["manager"])
    # session, user (its grants scope the next query), the inspection (room, building,
    # campus, inspector), its items with assets, types and photos, their charges, the
    # charged residents
    for inspection in (completed, more):
        with django_assert_num_queries(6):
            response = client.get(reverse("apartments:inspection_pdf", args=[inspection.pk]))
        assert response.status_code == 200


# --- A student's charges and clearance slip --------------------------------------------------


def test_the_student_downloads_their_charges_and_clearance_slip(
    client,
    world,  # noqa: F811
    completed,
):
    mover = world["mover"]
    client.force_login(mover.user)
    response = client.get(reverse("apartments:my_charges_pdf"), HTTP_ACCEPT_LANGUAGE="en")
    text = pdf_text(response)
    assert "Inspection charges and clearance" in text
    assert mover.student_id in text and mover.name in squeezed(text)
    assert "Chair" in text and "¥30.00" in text
    assert "Charges to settle" in text and "Not cleared yet" in text  # the clearance slip
    assert "Dispute" not in text  # no form on paper
    assert f"clearance-{mover.student_id}.pdf" in response["Content-Disposition"]
    # in Chinese
    response = client.get(reverse("apartments:my_charges_pdf"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = squeezed(pdf_text(response))
    assert "椅子" in text and "¥30.00" in text
    assert squeezed(zh("Not cleared yet")) in text and zh("Not cleared yet") != "Not cleared yet"


def test_the_slip_is_only_ever_the_callers_own(client, world, completed):  # noqa: F811
    url = reverse("apartments:my_charges_pdf")
    assert client.get(url).status_code == 302
    for user in (world["manager"], world["admin"]):  # staff have no slip of their own
        client.force_login(user)
        assert client.get(url).status_code == 404
    # the uncharged roommate gets their own (empty) slip, never the mover's charge
    roommate = world["roommate"]
    client.force_login(roommate.user)
    text = pdf_text(client.get(url, HTTP_ACCEPT_LANGUAGE="en"))
    assert roommate.student_id in text and "No charges." in text
    assert "¥30.00" not in text and world["mover"].student_id not in text


def test_the_move_out_page_offers_the_download_next_to_print(
    client,
    world,  # noqa: F811
    completed,
):
    client.force_login(world["mover"].user)
    page = client.get(reverse("apartments:my_move_out")).content.decode()
    assert 'data-testid="print"' in page
    assert reverse("apartments:my_charges_pdf") in page


def test_the_slip_pdf_queries_do_not_grow_with_the_charges(
    client,
    world,  # noqa: F811
    completed,
    django_assert_num_queries,
):
    client.force_login(world["mover"].user)
    url = reverse("apartments:my_charges_pdf")
    # session, user with role grants, the resident, the charges with items, assets, photos
    # and inspections, the open move-out request
    with django_assert_num_queries(5):
        text = pdf_text(client.get(url, HTTP_ACCEPT_LANGUAGE="en"))
    more_charges(world, 4)
    with django_assert_num_queries(5):
        text = pdf_text(client.get(url, HTTP_ACCEPT_LANGUAGE="en"))
    assert text.count("¥5.50") == 4
