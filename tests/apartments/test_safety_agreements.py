"""Safety responsibility agreements (安全责任状): texts per level and year, signed in the portal
(a resident from their room page), paper signatures at the desk, and the coverage board with
its Excel export."""

import io

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from apartments import agreements
from apartments.models import AgreementLevel, AgreementSignature, AgreementText
from logistics.models import Role
from tests.apartments.safety_data import inhabited, safety_world
from tests.factories import BuildingAssignmentFactory, user_with_role
from tests.threads import race

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def text(level, *, version=1, year=None):
    return AgreementText.objects.create(
        level=level,
        year=year or timezone.localdate().year,
        version=version,
        title="学生公寓安全责任书",
        title_en="Student apartment safety agreement",
        text="一、不得使用违禁电器……",
        text_en="1. No banned appliances…",
        published_at=timezone.now(),
    )


@pytest.fixture
def world():
    world = safety_world()
    world["texts"] = {level: text(level) for level in AgreementLevel.values}
    return world


def user(world, who):
    return world[who].user if who == "student" else world[who]


STUDENT = AgreementLevel.MANAGER_STUDENT


# --- signing ---


def test_a_resident_signs_the_student_agreement_once(world):
    resident = world["student"].user
    signature = agreements.agreement_sign(actor=resident, agreement=world["texts"][STUDENT])
    assert signature.signer == resident and signature.building == world["S01"]
    assert not signature.on_paper
    with pytest.raises(agreements.AlreadySigned):
        agreements.agreement_sign(actor=resident, agreement=world["texts"][STUDENT])


def test_each_role_signs_its_own_level(world):
    agreements.agreement_sign(
        actor=world["manager"], agreement=world["texts"][AgreementLevel.DEPARTMENT_MANAGER]
    )
    agreements.agreement_sign(
        actor=world["shift_lead"], agreement=world["texts"][AgreementLevel.MANAGER_STAFF]
    )
    agreements.agreement_sign(
        actor=world["head"], agreement=world["texts"][AgreementLevel.CENTER_DEPARTMENT]
    )
    with pytest.raises(agreements.NotForYou):
        agreements.agreement_sign(actor=world["manager"], agreement=world["texts"][STUDENT])
    with pytest.raises(agreements.NotForYou):
        agreements.agreement_sign(actor=world["technician"], agreement=world["texts"][STUDENT])
    assert AgreementSignature.objects.count() == 3


def test_only_the_latest_version_is_signed_and_any_version_counts(world):
    old = world["texts"][STUDENT]
    agreements.agreement_sign(actor=world["student"].user, agreement=old)
    newer = text(STUDENT, version=2)
    (mine,) = [m for m in agreements.mine(world["student"].user) if m.duty.level == STUDENT]
    assert mine.text == newer and mine.signature.agreement == old
    _, (other,) = inhabited(world["songbei"], "S09")
    with pytest.raises(agreements.NotForYou):
        agreements.agreement_sign(actor=other.user, agreement=old)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_double_tap_from_two_phones_signs_once():
    world = safety_world()
    agreement = text(STUDENT)

    def tap(_):
        try:
            return agreements.agreement_sign(actor=world["student"].user, agreement=agreement).pk
        except agreements.AlreadySigned:
            return None

    assert sum(1 for r in race(2, tap) if r) == 1
    assert AgreementSignature.objects.count() == 1


def test_the_desk_records_a_paper_signature(world):
    signature = agreements.paper_signature_record(
        actor=world["shift_lead"], building=world["S01"], student_id=world["student"].student_id
    )
    assert signature.on_paper and signature.recorded_by == world["shift_lead"]
    assert signature.signer == world["student"].user
    with pytest.raises(agreements.AlreadySigned):
        agreements.paper_signature_record(
            actor=world["manager"], building=world["S01"], student_id=world["student"].student_id
        )


@pytest.mark.parametrize("student_id", ["", "NOBODY"])
def test_the_desk_refuses_unknown_students(world, student_id):
    with pytest.raises(agreements.UnknownResident):
        agreements.paper_signature_record(
            actor=world["manager"], building=world["S01"], student_id=student_id
        )


def test_the_desk_refuses_a_student_of_another_building_and_other_desks(world):
    _, (neighbour,) = inhabited(world["songbei"], "S09")
    with pytest.raises(agreements.UnknownResident):
        agreements.paper_signature_record(
            actor=world["manager"], building=world["S01"], student_id=neighbour.student_id
        )
    with pytest.raises(agreements.NotForYou):
        agreements.paper_signature_record(
            actor=world["other_manager"],
            building=world["S01"],
            student_id=world["student"].student_id,
        )


def test_without_a_published_text_there_is_nothing_to_sign(world):
    AgreementText.objects.filter(level=STUDENT).delete()
    with pytest.raises(agreements.NoText):
        agreements.paper_signature_record(
            actor=world["manager"], building=world["S01"], student_id=world["student"].student_id
        )


# --- coverage ---


def test_coverage_lists_who_has_not_signed_per_level(world):
    agreements.agreement_sign(actor=world["student"].user, agreement=world["texts"][STUDENT])
    year = timezone.localdate().year
    coverage = agreements.coverage_of(world["S01"], year)
    assert [p.signature is not None for p in coverage[STUDENT]] == [True]
    assert [p.label for p in coverage[AgreementLevel.DEPARTMENT_MANAGER]] == [
        world["manager"].username
    ]
    (row,) = [b for b in agreements.coverage_overview(world["admin"], year) if b.code == "S01"]
    assert (row.students, row.students_signed) == (1, 1)
    assert (row.department_manager_total, row.department_manager_signed) == (1, 0)
    assert (row.manager_staff_total, row.manager_staff_signed) == (1, 0)


# --- pages ---


def board_url():
    return reverse("apartments:agreements_board")


def building_url(building):
    return reverse("apartments:agreements_building", args=[building.pk])


def test_the_resident_signs_from_the_room_page(client, world):
    client.force_login(world["student"].user)
    page = client.get(reverse("apartments:my_room"), **EN).content.decode()
    assert "I have read it and sign" in page and "No banned appliances" in page
    sign = reverse("apartments:agreement_sign", args=[world["texts"][STUDENT].pk])
    assert client.get(sign).status_code == 405
    response = client.post(sign, {"back": "room"})
    assert response.status_code == 302 and response["Location"] == reverse("apartments:my_room")
    again = client.post(sign, {"back": "room"}, **EN, follow=True).content.decode()
    assert "signed already" in again
    assert AgreementSignature.objects.count() == 1


def test_signing_someone_elses_level_is_404(client, world):
    client.force_login(world["student"].user)
    other = reverse(
        "apartments:agreement_sign", args=[world["texts"][AgreementLevel.MANAGER_STAFF].pk]
    )
    assert client.post(other).status_code == 404
    client.force_login(world["technician"])
    assert client.post(other).status_code == 404
    assert client.get(reverse("apartments:agreements_mine")).status_code == 404


def test_staff_sign_on_my_agreements(client, world):
    client.force_login(world["shift_lead"])
    page = client.get(reverse("apartments:agreements_mine"), **EN).content.decode()
    assert "Building manager → service staff" in page
    sign = reverse(
        "apartments:agreement_sign", args=[world["texts"][AgreementLevel.MANAGER_STAFF].pk]
    )
    assert client.post(sign).status_code == 302
    assert AgreementSignature.objects.get().signer == world["shift_lead"]


@pytest.mark.parametrize("who", ["student", "technician", "other_manager", "auditor"])
def test_the_coverage_of_a_building_is_404_for_others(client, world, who):
    client.force_login(user(world, who))
    assert client.get(building_url(world["S01"])).status_code == 404
    paper = reverse("apartments:agreements_paper", args=[world["S01"].pk])
    assert client.post(paper, {"student_id": world["student"].student_id}).status_code == 404
    export = reverse("apartments:agreements_export") + f"?building={world['S01'].pk}"
    assert client.get(export).status_code == 404
    assert not AgreementSignature.objects.exists()


def test_the_desk_records_paper_on_the_coverage_page(client, world):
    client.force_login(world["manager"])
    paper = reverse("apartments:agreements_paper", args=[world["S01"].pk])
    bad = client.post(paper, {"student_id": "NOBODY"}, **EN)
    assert bad.status_code == 404 and "No resident of this building" in bad.content.decode()
    assert client.post(paper, {"student_id": ""}).status_code == 400
    assert client.post(paper, {"student_id": world["student"].student_id}).status_code == 302
    page = client.get(building_url(world["S01"]), **EN).content.decode()
    assert "on paper" in page


def test_the_head_sees_the_board_but_records_nothing(client, world):
    client.force_login(world["head"])
    response = client.get(board_url(), **EN)
    assert response.status_code == 200
    assert {b.code for b in response.context["buildings"]} == {"S01", "S02", "S03"}
    assert response.context["heads"] is None  # the department level is the admin's
    assert not client.get(building_url(world["S01"])).context["may_record"]


def test_the_admin_sees_the_department_heads(client, world):
    client.force_login(world["admin"])
    heads = client.get(board_url()).context["heads"]
    assert [p.label for p in heads] == [world["head"].username]


def test_the_export_lists_everyone_with_their_signature(client, world):
    agreements.paper_signature_record(
        actor=world["manager"], building=world["S01"], student_id=world["student"].student_id
    )
    client.force_login(world["manager"])
    response = client.get(reverse("apartments:agreements_export"), **EN)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["Campus", "Building", "Level"]
    student = next(r for r in rows if r[3] == world["student"].student_id)
    assert student[1] == "S01" and student[5] == "Yes" and student[8] == "Yes"
    assert any(r[3] == world["manager"].username and r[5] == "No" for r in rows)


@pytest.mark.parametrize("extra", [0, 8])
def test_the_boards_query_count_does_not_grow(client, world, extra, django_assert_num_queries):
    manager = user_with_role(Role.DORM_MANAGER)
    for code in ("S01", "S02"):
        BuildingAssignmentFactory(user=manager, building=world[code], role=Role.DORM_MANAGER)
    for n in range(extra):
        building, _ = inhabited(world["songbei"], f"X{n:02d}", residents=2)
        BuildingAssignmentFactory(user=manager, building=building, role=Role.DORM_MANAGER)
    client.force_login(manager)
    client.get(board_url())
    # session, user with role grants; the buildings with their counts
    with django_assert_num_queries(3):
        response = client.get(board_url())
    assert len(response.context["buildings"]) == 2 + extra


@pytest.mark.parametrize("residents", [1, 9])
def test_the_building_pages_query_count_does_not_grow(
    client, world, residents, django_assert_num_queries
):
    building, people = inhabited(world["songbei"], "S20", residents=residents)
    BuildingAssignmentFactory(user=world["manager"], building=building, role=Role.DORM_MANAGER)
    for person in people[::2]:
        agreements.agreement_sign(actor=person.user, agreement=world["texts"][STUDENT])
    client.force_login(world["manager"])
    client.get(building_url(building))
    # session, user with role grants; the building; the assignments; the signatures of two
    # staff levels; the residents; their signatures; may the caller record (exists)
    with django_assert_num_queries(8):
        response = client.get(building_url(building))
    assert response.status_code == 200


def test_the_demo_has_signed_and_unsigned_agreements():
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    year = timezone.localdate().year
    assert AgreementText.objects.filter(year=year).count() == len(AgreementLevel.values)
    coverage = agreements.coverage_of(
        AgreementSignature.objects.filter(on_paper=True).first().building, year
    )
    students = coverage[STUDENT]
    assert any(p.signature for p in students) and any(not p.signature for p in students)
    assert any(p.signature and p.signature.on_paper for p in students)
    demo = next(p for p in students if p.label == "2501000001")
    assert demo.signature is None
    count = AgreementSignature.objects.count()
    call_command("seed_demo", verbosity=0)
    assert AgreementSignature.objects.count() == count


@pytest.mark.parametrize("signed", [False, True])
def test_the_room_pages_agreement_costs_two_queries(
    client, world, signed, django_assert_num_queries
):
    if signed:
        agreements.agreement_sign(actor=world["student"].user, agreement=world["texts"][STUDENT])
    client.force_login(world["student"].user)
    client.get(reverse("apartments:my_room"))
    # session, user with role grants; the resident; their stay; this year's student agreement;
    # the resident's signature of it; the room's condition report (none); the roommates; the
    # room's fittings (no report lists them); the resident's charges; maintenance's panel: the
    # room, its repairs
    with django_assert_num_queries(12):
        response = client.get(reverse("apartments:my_room"))
    assert (response.context["agreement_row"]["item"].signature is not None) is signed
