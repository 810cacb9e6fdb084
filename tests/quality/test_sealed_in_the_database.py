"""Sealed records protected by the database itself (PostgreSQL triggers, quality migration
0003): a sealed inspection record and its answers, the complaint and nonconformity histories
and the chain's anchors refuse UPDATE and DELETE whoever sends them (the ORM, raw SQL, a shell);
only an amendment, a new record, changes the story. Drafts stay the auditor's to change, and
sealing itself is the one change a record takes. Deleting a user or a photo that such a record
names is refused cleanly by Django (PROTECT), never by a trigger error turned into a 500.

On SQLite the triggers do not exist; the services' own guard (InspectionSealed) holds there.
"""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from logistics.models import Photo, Role
from quality import complaints as cps
from quality import inspections, seals
from quality import nonconformities as ncs
from quality.models import (
    ChainAnchor,
    ComplaintCategory,
    ComplaintEvent,
    Inspection,
    InspectionAnswer,
    NonconformityEvent,
)
from tests import factories as f
from tests.conftest import requires_postgres
from tests.quality.data import (
    published_checklist,
    sealed_inspection_with_photo,
)

pytestmark = pytest.mark.django_db


def refused(action) -> str:
    """Run `action` in a savepoint; it must be refused by the database. The message."""
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        action()
    return str(caught.value)


def raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def record(auditor, apartments_dept):
    """A sealed record (chain position 1) with a photo on its first answer."""
    return sealed_inspection_with_photo(
        published_checklist(), department=apartments_dept, auditor=auditor
    )


# --- Sealed inspection records ---------------------------------------------------------------


@requires_postgres
def test_the_database_refuses_to_change_a_sealed_record(record):
    # A plain save() of a sealed record, as a shell or a careless service would send it
    loaded = Inspection.objects.get(pk=record.pk)
    loaded.place = "改过的地点"
    message = refused(loaded.save)
    assert "sealed" in message and record.number in message
    # update(), even of one harmless-looking field
    refused(lambda: Inspection.objects.filter(pk=record.pk).update(note="补写的备注"))
    # raw SQL, the seal itself included
    refused(
        lambda: raw("UPDATE quality_inspection SET seal = %s WHERE id = %s", ["f" * 64, record.pk])
    )
    # Then the record is as sealed, and the chain holds
    assert Inspection.objects.get(pk=record.pk).place == record.place
    assert seals.verify_chain().ok


@requires_postgres
def test_the_database_refuses_to_delete_a_sealed_record(record):
    refused(lambda: Inspection.objects.get(pk=record.pk).delete())
    refused(lambda: Inspection.objects.filter(pk=record.pk).delete())
    refused(lambda: raw("DELETE FROM quality_inspection WHERE id = %s", [record.pk]))
    assert Inspection.objects.filter(pk=record.pk, status="sealed").exists()
    assert record.answers.count() == 3


@requires_postgres
def test_the_database_refuses_to_change_delete_or_add_an_answer_of_a_sealed_record(record):
    answer = record.answers.order_by("item__position").first()
    # save()
    answer.comment = "后来补的"
    assert "sealed" in refused(answer.save)
    # update(), delete(), raw SQL
    refused(lambda: InspectionAnswer.objects.filter(pk=answer.pk).update(result="fail"))
    refused(lambda: InspectionAnswer.objects.filter(pk=answer.pk).delete())
    refused(lambda: raw("UPDATE quality_inspectionanswer SET score = 0 WHERE id = %s", [answer.pk]))
    refused(lambda: raw("DELETE FROM quality_inspectionanswer WHERE id = %s", [answer.pk]))
    # A new answer slipped into the sealed record, or one moved into it from a draft
    draft = Inspection.objects.create(
        version=record.version,
        area=record.area,
        department=record.department,
        place="草稿",
        auditor=record.auditor,
    )
    item = answer.item
    refused(lambda: InspectionAnswer.objects.create(inspection=record, item=item, result="pass"))
    moved = InspectionAnswer.objects.create(inspection=draft, item=item, result="pass")
    refused(lambda: InspectionAnswer.objects.filter(pk=moved.pk).update(inspection=record))
    # Then nothing changed, photos and fingerprints included
    assert seals.verify_chain(check_photos=True).ok


@requires_postgres
def test_drafts_stay_editable_and_sealing_is_the_one_change_a_record_takes(
    auditor, apartments_dept
):
    # Given a draft, answered through the service, changed and answered again
    version = published_checklist()
    draft = inspections.inspection_start(
        actor=auditor, area=version.checklist.area, department=apartments_dept, place="2号楼"
    )
    items = list(version.items.order_by("position"))
    for item in items:
        data = (
            inspections.AnswerInput(result="scored", score=10)
            if item.rule == "score"
            else inspections.AnswerInput(result="pass")
        )
        inspections.answer_save(actor=auditor, inspection=draft, item=item, data=data)
    inspections.answer_save(
        actor=auditor,
        inspection=draft,
        item=items[0],
        data=inspections.AnswerInput(result="scored", score=7, comment="墙角有灰"),
    )
    Inspection.objects.filter(pk=draft.pk).update(place="2号楼大厅")
    # When it is submitted: the draft → sealed transition, photos fingerprinted on the way
    sealed = inspections.inspection_submit(actor=auditor, inspection=draft, note="总体良好")
    # Then it is sealed and verifies; from now on it is fixed
    assert sealed.is_sealed and sealed.sequence == 1
    assert seals.verify_chain().ok
    refused(lambda: Inspection.objects.filter(pk=sealed.pk).update(place="x"))
    # And a draft that is thrown away goes, with its answers
    other = inspections.inspection_start(
        actor=auditor, area=version.checklist.area, department=apartments_dept, place="3号楼"
    )
    inspections.answer_save(
        actor=auditor, inspection=other, item=items[1], data=inspections.AnswerInput("pass")
    )
    inspections.inspection_discard(actor=auditor, inspection=other)
    assert not Inspection.objects.filter(pk=other.pk).exists()


@requires_postgres
def test_an_amendment_is_the_way_to_change_the_story(record, auditor):
    # When the auditor amends the sealed record and submits the correction
    amendment = inspections.inspection_amend(
        actor=auditor, original=record, reason="第一项分数记错了"
    )
    first = amendment.answers.order_by("item__position").first()
    inspections.answer_save(
        actor=auditor,
        inspection=amendment,
        item=first.item,
        data=inspections.AnswerInput(result="scored", score=6),
    )
    corrected = inspections.inspection_submit(actor=auditor, inspection=amendment)
    # Then the correction is a new sealed record pointing at the original, which is unchanged
    assert corrected.is_sealed and corrected.amends_id == record.pk and corrected.sequence == 2
    original = Inspection.objects.get(pk=record.pk)
    assert (original.seal, original.place) == (record.seal, record.place)
    assert seals.verify_chain(check_photos=True).ok


@requires_postgres
def test_the_anchors_are_written_once_and_kept(record):
    anchor = seals.anchor_now()
    refused(lambda: ChainAnchor.objects.filter(pk=anchor.pk).update(seal="0" * 64))
    refused(lambda: ChainAnchor.objects.filter(pk=anchor.pk).delete())
    assert ChainAnchor.objects.get().seal == record.seal


def test_on_every_database_the_services_refuse_to_change_a_sealed_record(record, auditor):
    # The service-level guard, which is all SQLite has
    item = record.answers.first().item
    with pytest.raises(inspections.InspectionSealed):
        inspections.answer_save(
            actor=auditor, inspection=record, item=item, data=inspections.AnswerInput("fail")
        )
    with pytest.raises(inspections.InspectionSealed):
        inspections.inspection_discard(actor=auditor, inspection=record)


# --- Complaint and nonconformity histories ---------------------------------------------------


def complaint_with_history(student, department):
    category = ComplaintCategory.objects.create(
        code="dorm", name="宿舍服务", name_en="Dorm service", department=department
    )
    return cps.complaint_submit(actor=student, category=category, subject="热水", text="不热")


def nonconformity_with_history(auditor, department):
    return ncs.nc_raise(
        actor=auditor,
        department=department,
        severity="minor",
        title="消防通道堆物",
        description="东侧通道有自行车",
    )


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_to_change_or_delete_a_written_history(
    student, auditor, apartments_dept
):
    # Given a complaint and a nonconformity, each with its history written and committed
    complaint = complaint_with_history(student, apartments_dept)
    nonconformity = nonconformity_with_history(auditor, apartments_dept)
    complaint_event = complaint.events.order_by("id").first()
    nc_event = nonconformity.events.order_by("id").first()
    # When anyone tries to rewrite it: save(), update(), delete(), raw SQL
    complaint_event.note = "其实没收到"
    assert "history" in refused(complaint_event.save)
    refused(lambda: ComplaintEvent.objects.filter(complaint=complaint).update(at=timezone.now()))
    refused(lambda: ComplaintEvent.objects.filter(pk=complaint_event.pk).delete())
    refused(lambda: raw("DELETE FROM quality_complaintevent WHERE id = %s", [complaint_event.pk]))
    refused(lambda: NonconformityEvent.objects.filter(pk=nc_event.pk).update(kind="closed"))
    refused(lambda: raw("DELETE FROM quality_nonconformityevent WHERE id = %s", [nc_event.pk]))
    # Then the histories are as written, and they still grow
    assert complaint.events.count() == 2 and nonconformity.events.count() == 1
    assert ComplaintEvent.objects.get(pk=complaint_event.pk).note == ""
    cps.complaint_answer(actor=f.user_with_role(Role.ADMIN), complaint=complaint, text="已修好")
    assert complaint.events.count() == 3


@requires_postgres
def test_the_transaction_that_writes_a_history_row_may_still_correct_it(student, apartments_dept):
    # The demo university dates its made-up history in the past, in the transaction that
    # wrote it: nobody else has seen those rows yet, so they are not yet part of the story.
    long_ago = timezone.now() - timezone.timedelta(days=20)
    with transaction.atomic():
        complaint = complaint_with_history(student, apartments_dept)
        assert ComplaintEvent.objects.filter(complaint=complaint).update(at=long_ago) == 2
    assert {event.at for event in complaint.events.all()} == {long_ago}


# --- Deleting what a sealed record or a history names -----------------------------------------


def test_deleting_a_user_named_in_a_history_is_refused_cleanly(
    client, student, auditor, apartments_dept
):
    # Given a user who acted in a complaint's and a nonconformity's history
    complaint = complaint_with_history(student, apartments_dept)
    nonconformity_with_history(auditor, apartments_dept)
    history = list(ComplaintEvent.objects.values_list("id", "actor_id").order_by("id"))
    assert (complaint.events.first().id, student.pk) in history
    superuser = f.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    # When an administrator deletes them in the admin, then the admin says it cannot, no 500
    for user in (student, auditor):
        url = reverse("admin:logistics_user_delete", args=[user.pk])
        page = client.get(url)
        assert page.status_code == 200 and page.context["protected"]
        response = client.post(url, {"post": "yes"})
        assert response.status_code == 200 and response.context["protected"]
        assert type(user).objects.filter(pk=user.pk).exists()
    # and in code it is Django's ProtectedError, not a database error
    with pytest.raises(ProtectedError):
        ComplaintEvent.objects.get(complaint=complaint, kind="received").actor.delete()
    assert list(ComplaintEvent.objects.values_list("id", "actor_id").order_by("id")) == history


def test_deleting_the_auditor_or_a_photo_of_a_sealed_record_is_refused_cleanly(client, record):
    superuser = f.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    url = reverse("admin:logistics_user_delete", args=[record.auditor_id])
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 200 and response.context["protected"]
    photo = Photo.objects.get(pk=record.answers.exclude(photo=None).get().photo_id)
    with pytest.raises(ProtectedError):
        photo.delete()
    with pytest.raises(ProtectedError):
        record.auditor.delete()
    assert seals.verify_chain(check_photos=True).ok
