"""Inspection records, the services: start, answer, score, submit and seal, amend, discard."""

from decimal import Decimal

import pytest
from django.utils import translation

from logistics.models import AuditEvent, Photo
from logistics.reference import service_areas_ensure
from quality import checklists, inspections, seals
from quality.inspections import AnswerInput
from quality.models import Checklist, ChecklistVersion, Inspection, InspectionAnswer
from tests.quality.data import (
    jpeg_upload,
    published_checklist,
    sealed_inspection,
    sealed_inspection_with_photo,
    weighted_score,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def version(auditor):
    """Apartments v1: 1. score (weight 2), 2. pass/fail (weight 1), 3. score (weight 1)."""
    return published_checklist(by=auditor)


def start(auditor, department, **kwargs):
    kwargs.setdefault("area", service_areas_ensure(["apartments"])["apartments"])
    kwargs.setdefault("place", "3号公寓大厅")
    return inspections.inspection_start(actor=auditor, department=department, **kwargs)


def answer(auditor, inspection, position, **data):
    item = inspection.version.items.get(position=position)
    return inspections.answer_save(
        actor=auditor, inspection=inspection, item=item, data=AnswerInput(**data)
    )


def answer_all(auditor, inspection, results=(8, "pass", 10)):
    for position, result in enumerate(results, start=1):
        if isinstance(result, int):
            answer(auditor, inspection, position, result="scored", score=result)
        else:
            answer(auditor, inspection, position, result=result)


# --- Start -------------------------------------------------------------------------------------


def test_an_auditor_starts_an_inspection_on_the_published_version(
    version, auditor, apartments_dept, campus
):
    inspection = start(auditor, apartments_dept, campus=campus, place="  3号公寓大厅 ")
    assert inspection.version == version and inspection.status == "draft"
    assert (inspection.place, inspection.campus, inspection.auditor) == (
        "3号公寓大厅",
        campus,
        auditor,
    )
    assert inspection.sequence is None and inspection.seal == ""
    assert AuditEvent.objects.filter(action="inspection.start").exists()


def test_only_auditors_start_inspections(version, head, staff_member, student, apartments_dept):
    for user in (head, staff_member, student):
        with pytest.raises(inspections.NotAllowed):
            start(user, apartments_dept)
    assert not Inspection.objects.exists()


def test_the_department_must_serve_the_area(version, auditor, dining_dept):
    with pytest.raises(inspections.InspectionInvalid, match="does not serve") as caught:
        start(auditor, dining_dept)
    assert caught.value.field == "department"


def test_an_area_needs_a_published_checklist(auditor, apartments_dept):
    # A checklist whose only version is a draft does not count
    area = service_areas_ensure(["apartments"])["apartments"]
    checklists.checklist_create(actor=auditor, area=area, code="draft-only", name="草稿")
    with pytest.raises(inspections.InspectionInvalid, match="no published checklist"):
        start(auditor, apartments_dept)


@pytest.mark.parametrize("place", ["", "   ", "长" * 201])
def test_the_place_is_required_and_bounded(version, auditor, apartments_dept, place):
    with pytest.raises(inspections.InspectionInvalid) as caught:
        start(auditor, apartments_dept, place=place)
    assert caught.value.field == "place"


def test_an_area_with_several_checklists_needs_a_choice(version, auditor, apartments_dept):
    second = published_checklist(code="apartments-night", by=auditor)
    with pytest.raises(inspections.InspectionInvalid, match="several checklists"):
        start(auditor, apartments_dept)
    chosen = start(auditor, apartments_dept, checklist=second.checklist)
    assert chosen.version == second


# --- Answers -----------------------------------------------------------------------------------


def test_answers_follow_each_items_rule(version, auditor, apartments_dept):
    inspection = start(auditor, apartments_dept)
    a = answer(auditor, inspection, 1, result="scored", score="7", comment="  有少量纸屑 ")
    assert (a.result, a.score, a.comment) == ("scored", 7, "有少量纸屑")
    b = answer(auditor, inspection, 2, result="fail")
    assert (b.result, b.score) == ("fail", None) and b.failed
    # Saving again replaces the answer
    b = answer(auditor, inspection, 2, result="na")
    assert b.result == "na" and inspection.answers.count() == 2
    # A comment first, the result later
    c = answer(auditor, inspection, 3, comment="待看")
    assert c.result == "" and c.comment == "待看"


@pytest.mark.parametrize(
    ("position", "data", "field"),
    [
        (1, {"result": "scored", "score": 11}, "score"),
        (1, {"result": "scored", "score": -1}, "score"),
        (1, {"result": "scored", "score": "seven"}, "score"),
        (1, {"result": "pass", "score": 5}, "score"),
        (2, {"result": "scored"}, "result"),
        (2, {"result": "maybe"}, "result"),
        (2, {"result": "pass", "comment": "x" * 501}, "comment"),
    ],
)
def test_bad_answers_are_refused(version, auditor, apartments_dept, position, data, field):
    inspection = start(auditor, apartments_dept)
    with pytest.raises(inspections.InspectionInvalid) as caught:
        answer(auditor, inspection, position, **data)
    assert caught.value.field == field
    assert not inspection.answers.exists()


def test_na_only_where_the_item_allows_it(version, auditor, apartments_dept):
    inspection = start(auditor, apartments_dept)
    version.items.filter(position=2).update(allow_na=False)  # (test data, before any use)
    with pytest.raises(inspections.InspectionInvalid, match="cannot be answered N/A"):
        answer(auditor, inspection, 2, result="na")


def test_a_photo_is_checked_stored_and_can_be_removed(version, auditor, apartments_dept):
    inspection = start(auditor, apartments_dept)
    saved = answer(auditor, inspection, 1, result="scored", score=3, photo=jpeg_upload())
    assert saved.photo.uploaded_by == auditor and saved.photo_sha256 == ""
    from django.core.files.uploadedfile import SimpleUploadedFile

    not_a_photo = SimpleUploadedFile("x.jpg", b"<svg/>", content_type="image/jpeg")
    with pytest.raises(inspections.InspectionInvalid, match="not a photo") as caught:
        answer(auditor, inspection, 1, result="scored", score=3, photo=not_a_photo)
    assert caught.value.field == "photo"
    saved.refresh_from_db()
    assert saved.photo_id is not None  # the bad upload changed nothing
    removed = answer(auditor, inspection, 1, result="scored", score=3, remove_photo=True)
    assert removed.photo_id is None


def test_only_the_drafts_auditor_answers_and_only_its_own_items(
    version, auditor, other_auditor, apartments_dept
):
    inspection = start(auditor, apartments_dept)
    with pytest.raises(inspections.NotAllowed):
        answer(other_auditor, inspection, 1, result="scored", score=5)
    foreign = published_checklist("dining", by=auditor).items.first()
    with pytest.raises(inspections.InspectionInvalid, match="not on the inspection's checklist"):
        inspections.answer_save(
            actor=auditor, inspection=inspection, item=foreign, data=AnswerInput(result="pass")
        )


# --- The score ---------------------------------------------------------------------------------


def test_the_weighted_score_excludes_na_and_matches_the_docstring_example(
    version, auditor, apartments_dept
):
    inspection = start(auditor, apartments_dept)
    answer(auditor, inspection, 1, result="scored", score=5)
    answer(auditor, inspection, 2, result="pass")
    answer(auditor, inspection, 3, result="na")
    tally = inspections.weighted_score(inspection.answers.select_related("item"))
    # (2×0.5 + 1×1) / (2 + 1) = 66.67%
    assert tally.percent == Decimal("66.67")
    assert (tally.answered, tally.applicable) == (3, 2)
    items = list(version.items.order_by("position"))
    assert weighted_score(items, [5, "pass", "na"]) == tally.percent


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        ((10, "pass", 10), "100.00"),
        ((0, "fail", 0), "0.00"),
        ((8, "fail", 10), "65.00"),  # (2×0.8 + 0 + 1) / 4
        ((7, "na", 9), "76.67"),  # (2×0.7 + 0.9) / 3
        (("na", "pass", "na"), "100.00"),
    ],
)
def test_submitting_fixes_the_score(version, auditor, apartments_dept, results, expected):
    inspection = start(auditor, apartments_dept)
    answer_all(auditor, inspection, results)
    sealed = inspections.inspection_submit(actor=auditor, inspection=inspection)
    assert sealed.score == Decimal(expected)
    assert sealed.score == weighted_score(list(version.items.order_by("position")), list(results))


# --- Submit ------------------------------------------------------------------------------------


def test_submitting_seals_the_record_into_the_chain(version, auditor, apartments_dept):
    # Given a first record in the chain and a complete draft
    first = sealed_inspection(version, department=apartments_dept, auditor=auditor)
    inspection = start(auditor, apartments_dept)
    answer_all(auditor, inspection)
    # When the auditor submits it with overall remarks
    sealed = inspections.inspection_submit(actor=auditor, inspection=inspection, note=" 整体良好 ")
    # Then it is sealed as record 2, after the first, with its time, score and remarks
    sealed.refresh_from_db()
    assert sealed.status == "sealed" and sealed.sequence == 2
    assert sealed.previous_seal == first.seal and len(sealed.seal) == 64
    assert sealed.submitted_at is not None and sealed.note == "整体良好"
    assert AuditEvent.objects.get(action="inspection.submit").target_id == str(sealed.pk)
    assert seals.verify_chain().ok and seals.verify_chain().checked == 2


def test_submitting_an_incomplete_draft_lists_the_missing_items(version, auditor, apartments_dept):
    inspection = start(auditor, apartments_dept)
    answer(auditor, inspection, 1, result="scored", score=5)
    answer(auditor, inspection, 3, comment="还没打分")
    with pytest.raises(inspections.Incomplete) as caught:
        inspections.inspection_submit(actor=auditor, inspection=inspection)
    assert [i.position for i in caught.value.missing] == [2, 3]
    assert caught.value.message == (
        "Answer every item before submitting. Not answered yet: 2. Item 2; 3. Item 3"
    )
    inspection.refresh_from_db()
    assert inspection.status == "draft" and inspection.sequence is None


def test_an_all_na_inspection_is_refused(version, auditor, apartments_dept):
    inspection = start(auditor, apartments_dept)
    answer_all(auditor, inspection, ("na", "na", "na"))
    with pytest.raises(inspections.InspectionInvalid, match="at least one applicable item"):
        inspections.inspection_submit(actor=auditor, inspection=inspection)


def test_a_sealed_record_is_never_changed_again(version, auditor, apartments_dept):
    inspection = start(auditor, apartments_dept)
    answer_all(auditor, inspection)
    inspections.inspection_submit(actor=auditor, inspection=inspection)
    seal = Inspection.objects.get(pk=inspection.pk).seal
    # A second submit (a double tap), an answer, a discard: all refused
    for attempt in (
        lambda: inspections.inspection_submit(actor=auditor, inspection=inspection),
        lambda: answer(auditor, inspection, 1, result="scored", score=0),
        lambda: inspections.inspection_discard(actor=auditor, inspection=inspection),
    ):
        with pytest.raises(inspections.InspectionSealed, match="can no longer be changed"):
            attempt()
    assert Inspection.objects.get(pk=inspection.pk).seal == seal
    assert seals.verify_chain().ok


def test_only_its_auditor_submits_a_draft(version, auditor, other_auditor, apartments_dept):
    inspection = start(auditor, apartments_dept)
    answer_all(auditor, inspection)
    with pytest.raises(inspections.NotAllowed):
        inspections.inspection_submit(actor=other_auditor, inspection=inspection)


# --- Amend -------------------------------------------------------------------------------------


def test_an_amendment_copies_the_findings_and_leaves_the_original_untouched(
    version, auditor, other_auditor, apartments_dept
):
    # Given a sealed record with a photo
    original = sealed_inspection_with_photo(
        version, department=apartments_dept, auditor=auditor, results=[4, "fail", 9]
    )
    before = Inspection.objects.values().get(pk=original.pk)
    # When another auditor amends it
    amendment = inspections.inspection_amend(
        actor=other_auditor, original=original, reason="  第2项误判 "
    )
    # Then a new draft cites the original with the reason and holds its findings
    assert amendment.status == "draft" and amendment.amends == original
    assert (amendment.amendment_reason, amendment.auditor) == ("第2项误判", other_auditor)
    assert amendment.version == original.version and amendment.place == original.place
    copied = {a.item_id: (a.result, a.score, a.photo_id) for a in amendment.answers.all()}
    assert copied == {a.item_id: (a.result, a.score, a.photo_id) for a in original.answers.all()}
    assert Photo.objects.count() == 1  # the photo is referenced again, not copied
    # And the auditor corrects it and submits it like any other record
    answer(other_auditor, amendment, 2, result="pass")
    sealed = inspections.inspection_submit(actor=other_auditor, inspection=amendment)
    assert sealed.sequence == 2 and sealed.score == weighted_score(
        list(version.items.order_by("position")), [4, "pass", 9]
    )
    # The original is exactly as it was
    assert Inspection.objects.values().get(pk=original.pk) == before
    assert list(original.amendments.all()) == [sealed]
    assert seals.verify_chain(check_photos=True).ok


def test_amending_needs_a_reason_a_sealed_record_and_an_auditor(
    version, auditor, head, apartments_dept
):
    original = sealed_inspection(version, department=apartments_dept, auditor=auditor)
    for reason in ("", "   ", "x" * 501):
        with pytest.raises(inspections.InspectionInvalid) as caught:
            inspections.inspection_amend(actor=auditor, original=original, reason=reason)
        assert caught.value.field == "reason"
    with pytest.raises(inspections.NotAllowed):
        inspections.inspection_amend(actor=head, original=original, reason="想改")
    draft = start(auditor, apartments_dept)
    with pytest.raises(inspections.InspectionInvalid, match="Only a submitted record"):
        inspections.inspection_amend(actor=auditor, original=draft, reason="x")


def test_asking_twice_for_an_amendment_gives_the_same_draft(version, auditor, apartments_dept):
    original = sealed_inspection(version, department=apartments_dept, auditor=auditor)
    one = inspections.inspection_amend(actor=auditor, original=original, reason="a")
    two = inspections.inspection_amend(actor=auditor, original=original, reason="a")
    assert one == two and original.amendments.count() == 1


# --- Discard -----------------------------------------------------------------------------------


def test_the_author_discards_a_draft_no_one_else(version, auditor, other_auditor, apartments_dept):
    inspection = start(auditor, apartments_dept)
    answer_all(auditor, inspection)
    with pytest.raises(inspections.NotAllowed):
        inspections.inspection_discard(actor=other_auditor, inspection=inspection)
    inspections.inspection_discard(actor=auditor, inspection=inspection)
    assert not Inspection.objects.exists() and not InspectionAnswer.objects.exists()
    assert AuditEvent.objects.filter(action="inspection.discard").exists()


def test_the_checklist_version_a_record_used_cannot_be_deleted(version, auditor, apartments_dept):
    from django.db.models import ProtectedError

    record = sealed_inspection(version, department=apartments_dept, auditor=auditor)
    # The checklist version a record used cannot be deleted from under it
    with pytest.raises(ProtectedError):
        ChecklistVersion.objects.filter(pk=version.pk).delete()
    assert Inspection.objects.filter(pk=record.pk).exists()
    assert Checklist.objects.filter(pk=version.checklist_id).exists()


# --- The list ----------------------------------------------------------------------------------


def test_the_list_filters(version, auditor, other_auditor, apartments_dept, campus):
    ok = sealed_inspection(version, department=apartments_dept, auditor=auditor, campus=campus)
    failed = sealed_inspection(
        version, department=apartments_dept, auditor=other_auditor, results=[5, "pass", 10]
    )
    low = sealed_inspection(
        version, department=apartments_dept, auditor=auditor, results=[10, "pass", 5]
    )
    everything = inspections.inspections_listed(auditor)
    assert {r.pk: r.failed_count for r in everything} == {ok.pk: 0, failed.pk: 1, low.pk: 1}
    listed = inspections.inspections_listed
    assert [r.pk for r in listed(auditor, inspections.ListFilter(campus=campus))] == [ok.pk]
    assert [r.pk for r in listed(auditor, inspections.ListFilter(auditor=other_auditor))] == [
        failed.pk
    ]
    failed_only = listed(auditor, inspections.ListFilter(failed_only=True))
    assert {r.pk for r in failed_only} == {failed.pk, low.pk}
    # 6/10 is not below 60%
    edge = sealed_inspection(
        version, department=apartments_dept, auditor=auditor, results=[6, "pass", 6]
    )
    assert edge.pk not in {r.pk for r in listed(auditor, inspections.ListFilter(failed_only=True))}


def test_the_answer_failed_rule_matches_the_sql(version, auditor, apartments_dept):
    record = sealed_inspection(
        version, department=apartments_dept, auditor=auditor, results=[5, "fail", 6]
    )
    in_python = {a.pk for a in record.answers.select_related("item") if a.failed}
    in_sql = set(
        inspections.failed_answers().filter(inspection=record).values_list("pk", flat=True)
    )
    assert in_python == in_sql and len(in_sql) == 2
