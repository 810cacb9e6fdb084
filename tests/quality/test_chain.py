"""The seal chain of inspection records: intact, edited, deleted, reordered, rewritten; the
command, the admin page, the nightly anchor, and two seals at once.

The tampering is done behind_the_guard(): on PostgreSQL the database refuses to change a
sealed record (test_sealed_in_the_database.py), so these tests play what the chain is for,
someone with the table owner's rights who switches that guard off first."""

import itertools
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import translation

from logistics.jobs import NIGHTLY_JOBS
from logistics.models import Role
from quality import seals
from quality.models import ChainAnchor, ChecklistItem, Inspection, InspectionAnswer
from tests import factories as f
from tests.conftest import requires_postgres
from tests.quality.data import (
    behind_the_guard,
    published_checklist,
    sealed_inspection,
    sealed_inspection_with_photo,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def chain(auditor, apartments_dept):
    """Five sealed records, numbered 1..5; the third has a failed item."""
    version = published_checklist()
    records = []
    for n in range(5):
        results = [5, "fail", 8] if n == 2 else None
        records.append(
            sealed_inspection(version, department=apartments_dept, auditor=auditor, results=results)
        )
    return records


def verify(**kwargs):
    return seals.verify_chain(**kwargs)


def command(*args) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_inspection_chain", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()


# --- Intact ----------------------------------------------------------------------------------


def test_an_intact_chain_verifies_every_record(chain):
    # Given five records sealed one after the other
    assert [r.sequence for r in chain] == [1, 2, 3, 4, 5]
    assert chain[0].previous_seal == seals.GENESIS
    assert all(b.previous_seal == a.seal for a, b in itertools.pairwise(chain))
    # When the chain is verified, then it holds, all five records checked
    report = verify()
    assert report.ok and report.checked == 5 and report.head_sequence == 5
    assert report.head_seal == chain[-1].seal


def test_an_empty_chain_is_intact():
    report = verify()
    assert report.ok and report.checked == 0


def test_verification_takes_a_fixed_number_of_queries(chain, django_assert_num_queries):
    # records, their answers (with items and photos) in one prefetch, anchors
    with django_assert_num_queries(3):
        verify()
    sealed_inspection(chain[0].version, department=chain[0].department, auditor=chain[0].auditor)
    with django_assert_num_queries(3):
        assert verify().checked == 6


# --- Edited ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"place": "改过的地方"},
        {"score": "99.00"},
        {"note": "补写的备注"},
        {"auditor": "other"},
        {"amendment_reason": "x", "amends": "first"},
    ],
    ids=["place", "score", "note", "auditor", "amends"],
)
def test_editing_a_field_of_a_sealed_record_breaks_the_chain_at_that_record(chain, change):
    # Given an intact chain
    target = chain[2]
    values = dict(change)
    if values.get("auditor") == "other":
        values["auditor"] = f.user_with_role(Role.AUDITOR)
    if values.get("amends") == "first":
        values["amends"] = chain[0]
    # When a field of record 3 is changed in the database, behind the portal's back
    with behind_the_guard():
        Inspection.objects.filter(pk=target.pk).update(**values)
    # Then the verification names record 3, with the two before it intact
    report = verify()
    assert not report.ok
    assert report.broken_sequence == 3 and report.broken.pk == target.pk
    assert report.checked == 2
    assert "no longer matches its seal" in report.reason


@pytest.mark.parametrize(
    "change",
    [{"result": "pass"}, {"comment": "后来补的"}, {"score": 10, "result": "scored"}],
    ids=["result", "comment", "score"],
)
def test_editing_an_answer_breaks_the_chain_at_its_record(chain, change):
    target = chain[2]
    answer = target.answers.order_by("item__position")[1]  # the failed pass/fail item
    if "score" in change:
        answer = target.answers.order_by("item__position")[0]  # the item scored 5
    with behind_the_guard():
        InspectionAnswer.objects.filter(pk=answer.pk).update(**change)
    report = verify()
    assert report.broken_sequence == 3 and report.checked == 2


def test_deleting_or_adding_an_answer_breaks_the_chain(chain):
    with behind_the_guard():
        InspectionAnswer.objects.filter(pk=chain[3].answers.first().pk).delete()
    assert verify().broken_sequence == 4


def test_editing_an_item_of_a_published_version_breaks_every_record_that_used_it(chain):
    # The services refuse to edit a published version; a database edit is caught.
    item = chain[0].version.items.order_by("position").first()
    ChecklistItem.objects.filter(pk=item.pk).update(text="悄悄改过的要求")
    report = verify()
    assert report.broken_sequence == 1 and report.checked == 0
    ChecklistItem.objects.filter(pk=item.pk).update(text=item.text)
    ChecklistItem.objects.filter(pk=item.pk).update(weight="5")
    assert verify().broken_sequence == 1


def test_changing_a_seal_itself_breaks_the_chain_there(chain):
    with behind_the_guard():
        Inspection.objects.filter(pk=chain[1].pk).update(seal="f" * 64)
    report = verify()
    # Record 2 no longer matches its own seal.
    assert report.broken_sequence == 2


def test_a_replaced_photo_file_is_caught_by_the_photo_check(auditor, apartments_dept):
    # Given a sealed record with a photo, and one after it
    version = published_checklist()
    record = sealed_inspection_with_photo(version, department=apartments_dept, auditor=auditor)
    sealed_inspection(version, department=apartments_dept, auditor=auditor)
    answer = record.answers.exclude(photo=None).get()
    assert answer.photo_sha256 and len(answer.photo_sha256) == 64
    assert verify(check_photos=True).ok
    # When the photo's file is overwritten on disk
    with open(answer.photo.image.path, "wb") as handle:
        handle.write(b"another picture")
    # Then the database-only check still holds, but the photo check names the record
    assert verify().ok
    report = verify(check_photos=True)
    assert not report.ok and report.broken_sequence is None
    assert report.photo_problems == [
        f"{record.number}: the photo of item {answer.item_id} was replaced."
    ]
    code, _out, err = command("--photos")
    assert code == 1 and record.number in err and "replaced" in err


def test_a_missing_photo_file_is_reported_not_a_crash(auditor, apartments_dept):
    version = published_checklist()
    record = sealed_inspection_with_photo(version, department=apartments_dept, auditor=auditor)
    answer = record.answers.exclude(photo=None).get()
    answer.photo.image.storage.delete(answer.photo.image.name)
    report = verify(check_photos=True)
    assert not report.ok and record.number in report.photo_problems[0]


# --- Deleted ---------------------------------------------------------------------------------


def test_deleting_a_middle_record_breaks_the_chain_at_the_next(chain):
    # When record 3 and its answers are deleted at the SQL level
    with behind_the_guard():
        InspectionAnswer.objects.filter(inspection=chain[2]).delete()
        Inspection.objects.filter(pk=chain[2].pk).delete()
    # Then the verification stops at record 4: number 3 is missing
    report = verify()
    assert report.broken_sequence == 4 and report.broken.pk == chain[3].pk
    assert report.checked == 2
    assert "Record number 3 of the chain is missing" in report.reason


def test_deleting_the_first_record_is_caught(chain):
    with behind_the_guard(), connection.cursor() as cursor:
        InspectionAnswer.objects.filter(inspection=chain[0]).delete()
        cursor.execute("DELETE FROM quality_inspection WHERE id = %s", [chain[0].pk])
    report = verify()
    assert report.broken_sequence == 2 and report.checked == 0


def test_deleting_the_last_record_is_caught_by_an_anchor(chain):
    # Given the head of the chain written down (the nightly job)
    anchor = seals.anchor_now()
    assert (anchor.sequence, anchor.seal) == (5, chain[-1].seal)
    # When the last record is deleted, the chain itself still links up …
    with behind_the_guard():
        InspectionAnswer.objects.filter(inspection=chain[-1]).delete()
        Inspection.objects.filter(pk=chain[-1].pk).delete()
    # … but the anchor remembers that it once reached 5
    report = verify()
    assert not report.ok and report.broken_sequence == 5 and report.broken is None
    assert report.checked == 4
    assert "the last records were deleted" in report.reason
    code, _out, err = command()
    assert code == 1 and "chain position 5" in err


def test_deleting_the_last_record_without_an_anchor_goes_unnoticed_so_anchor_nightly(chain):
    # The limit the anchors exist for: a chain cut short is still a valid chain.
    with behind_the_guard():
        InspectionAnswer.objects.filter(inspection=chain[-1]).delete()
        Inspection.objects.filter(pk=chain[-1].pk).delete()
    assert verify().ok


# --- Reordered -------------------------------------------------------------------------------


def test_swapping_the_sequence_numbers_of_two_records_breaks_the_chain(chain):
    # When records 2 and 3 swap their places in the chain (via a free number: the positions
    # are unique)
    with behind_the_guard(), connection.cursor() as cursor:
        cursor.execute("UPDATE quality_inspection SET sequence = 999 WHERE id = %s", [chain[1].pk])
        cursor.execute("UPDATE quality_inspection SET sequence = 2 WHERE id = %s", [chain[2].pk])
        cursor.execute("UPDATE quality_inspection SET sequence = 3 WHERE id = %s", [chain[1].pk])
    # Then the record now at position 2 does not follow record 1
    report = verify()
    assert report.broken_sequence == 2 and report.broken.pk == chain[2].pk
    assert report.checked == 1


# --- Rewritten -------------------------------------------------------------------------------


def rewrite_from(record):
    """What a careful forger does: change a record, then recompute every seal from it on
    (call it behind_the_guard())."""
    previous = record.previous_seal
    for later in Inspection.objects.filter(sequence__gte=record.sequence).order_by("sequence"):
        later = Inspection.objects.select_related("version").get(pk=later.pk)
        later.previous_seal = previous
        answers = list(later.answers.select_related("item", "photo"))
        later.seal = seals.seal_of(previous, seals.canonical(later, answers))
        Inspection.objects.filter(pk=later.pk).update(
            previous_seal=later.previous_seal, seal=later.seal
        )
        previous = later.seal


def test_a_rewritten_tail_is_caught_by_an_earlier_anchor(chain):
    # Given the chain anchored at its head (record 5)
    seals.anchor_now()
    # When record 3 is edited and every seal from 3 on is recomputed
    with behind_the_guard():
        Inspection.objects.filter(pk=chain[2].pk).update(place="伪造的地点")
        rewrite_from(Inspection.objects.get(pk=chain[2].pk))
    # Then the chain links up again …
    report = verify()
    # … but the anchor's seal of record 5 is not the one it has now
    assert not report.ok and report.broken_sequence == 5
    assert "differs from the one written down" in report.reason
    assert report.checked == 5


def test_a_rewritten_tail_without_an_anchor_after_it_links_up(chain):
    # An anchor only protects what it covers: the records up to it.
    with behind_the_guard():
        Inspection.objects.filter(pk=chain[2].pk).update(place="伪造的地点")
        rewrite_from(Inspection.objects.get(pk=chain[2].pk))
    assert verify().ok


def test_anchors_are_idempotent_and_the_nightly_job_writes_them(chain):
    job = NIGHTLY_JOBS["quality.anchor_seal_chain"]
    assert job().items == 1
    assert job().items == 0  # the head is already anchored
    assert ChainAnchor.objects.get().sequence == 5


def test_no_anchor_for_an_empty_chain():
    assert seals.anchor_now() is None
    assert NIGHTLY_JOBS["quality.anchor_seal_chain"]().items == 0


# --- The command -----------------------------------------------------------------------------


def test_the_command_says_intact_with_the_count_and_exits_0(chain):
    code, out, err = command()
    assert code == 0
    assert out.splitlines()[0] == "Seal chain intact, 5 records."
    assert chain[-1].seal in out
    assert err == ""


def test_the_command_names_the_first_broken_record_and_exits_1(chain):
    with behind_the_guard():
        Inspection.objects.filter(pk=chain[1].pk).update(place="改过")
    code, _out, err = command()
    assert code == 1
    assert err.splitlines()[0].startswith(
        f"Seal chain broken at {chain[1].number} (chain position 2): Its content no longer"
    )
    assert "1 records before it verify." in err


def test_the_command_writes_an_anchor_only_after_a_good_verification(chain):
    code, out, _err = command("--anchor")
    assert code == 0 and "anchor written: 5" in out
    assert ChainAnchor.objects.count() == 1
    code, out, _err = command("--anchor")
    assert "already anchored" in out and ChainAnchor.objects.count() == 1
    with behind_the_guard():
        Inspection.objects.filter(pk=chain[4].pk).update(note="x")
    code, _out, _err = command("--anchor")
    assert code == 1 and ChainAnchor.objects.count() == 1


def test_the_command_on_an_empty_chain(db):
    code, out, _err = command("--anchor")
    assert code == 0 and "intact, 0 records" in out


# --- The admin page and the portal page ------------------------------------------------------


def test_the_admin_page_verifies_the_chain_for_a_superuser(client, chain):
    superuser = f.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    changelist = client.get(reverse("admin:quality_inspection_changelist"))
    url = reverse("admin:quality_inspection_verify_chain")
    assert changelist.status_code == 200 and url in changelist.content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert "Seal chain intact, 5 records." in response.content.decode()
    # When a record is changed, the page names it
    with behind_the_guard():
        Inspection.objects.filter(pk=chain[3].pk).update(place="改过")
    page = client.get(url).content.decode()
    assert f"Seal chain broken at {chain[3].number} (chain position 4)" in page
    assert reverse("admin:quality_inspection_change", args=[chain[3].pk]) in page


def test_the_admin_page_is_closed_to_everyone_else(client, chain, auditor):
    url = reverse("admin:quality_inspection_verify_chain")
    # anonymous: the admin's login page
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    # a portal user who is not staff: the admin's login page too
    client.force_login(auditor)
    assert client.get(url).status_code == 302
    # staff without the permission to view inspection records: 403
    client.force_login(f.UserFactory(is_staff=True))
    assert client.get(url).status_code == 403


def test_the_admin_never_changes_or_deletes_a_sealed_record(client, chain):
    client.force_login(f.UserFactory(is_staff=True, is_superuser=True))
    record = chain[0]
    change_url = reverse("admin:quality_inspection_change", args=[record.pk])
    assert client.get(change_url).status_code == 200  # a read-only view
    response = client.post(change_url, {"place": "改过"})
    assert response.status_code == 403
    assert (
        client.get(reverse("admin:quality_inspection_delete", args=[record.pk])).status_code == 403
    )
    assert client.get(reverse("admin:quality_inspection_add")).status_code == 403
    assert verify().ok


def test_the_portal_chain_page_uses_the_same_words(client, chain, auditor):
    client.force_login(auditor)
    response = client.get(reverse("quality:chain_verify"))
    assert response.status_code == 200
    assert "Seal chain intact, 5 records." in response.content.decode()
    with behind_the_guard():
        InspectionAnswer.objects.filter(inspection=chain[4]).update(comment="x")
    page = client.get(reverse("quality:chain_verify")).content.decode()
    assert f"Seal chain broken at {chain[4].number} (chain position 5)" in page


@pytest.mark.parametrize("who", ["student", "staff_member", "head"])
def test_the_portal_chain_page_is_for_auditors_and_admins(client, chain, who, request, admin):
    url = reverse("quality:chain_verify")
    assert client.get(url).status_code == 302
    client.force_login(request.getfixturevalue(who))
    assert client.get(url).status_code == 404
    client.force_login(admin)
    assert client.get(url).status_code == 200


# --- Two seals at once -----------------------------------------------------------------------


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_records_sealed_at_once_get_consecutive_numbers(auditor, apartments_dept):
    # Given two complete drafts and a chain holding one record
    version = published_checklist()
    sealed_inspection(version, department=apartments_dept, auditor=auditor)
    drafts = []
    for place in ("A", "B"):
        draft = Inspection.objects.create(
            version=version,
            area=version.checklist.area,
            department=apartments_dept,
            place=place,
            auditor=auditor,
        )
        InspectionAnswer.objects.bulk_create(
            [
                InspectionAnswer(inspection=draft, item=item, result="na")
                for item in version.items.all()
            ]
        )
        drafts.append(draft)
    from django.utils import timezone

    first_sealed = threading.Event()
    release_first = threading.Event()
    errors = []

    def seal_first():
        try:
            with transaction.atomic():
                record = Inspection.objects.select_related("version").get(pk=drafts[0].pk)
                record.submitted_at, record.score = timezone.now(), None
                seals.seal(record)
                first_sealed.set()
                # Hold the transaction open until the other thread waits on our number.
                release_first.wait(timeout=10)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
            first_sealed.set()
        finally:
            connections.close_all()

    def seal_second():
        try:
            first_sealed.wait(timeout=10)
            with transaction.atomic():
                record = Inspection.objects.select_related("version").get(pk=drafts[1].pk)
                record.submitted_at, record.score = timezone.now(), None
                seals.seal(record)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    one, two = threading.Thread(target=seal_first), threading.Thread(target=seal_second)
    one.start()
    two.start()
    # The second thread reads the same head (2 is not committed yet) and blocks on the unique
    # position; once it waits on the lock, let the first commit.
    saw_the_second_wait = False
    with connection.cursor() as cursor:
        for _attempt in range(500):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                saw_the_second_wait = True
                break
            threading.Event().wait(0.01)
    release_first.set()
    one.join(timeout=20)
    two.join(timeout=20)
    assert not errors
    assert saw_the_second_wait  # the two really collided on the same position
    # Then both are sealed, numbered 2 and 3, and the chain holds
    numbers = sorted(
        Inspection.objects.filter(pk__in=[d.pk for d in drafts]).values_list("sequence", flat=True)
    )
    assert numbers == [2, 3]
    assert seals.verify_chain().ok and seals.verify_chain().checked == 3


def test_a_record_sealed_from_local_times_and_plain_numbers_verifies_once_read_back(
    auditor, apartments_dept
):
    # Given a draft whose times are held in Beijing time in memory and whose score is a plain
    # whole number (as a page might hold them)
    from django.utils import timezone

    from quality.models import Inspection as Record

    version = published_checklist()
    record = Record.objects.create(
        version=version,
        area=version.checklist.area,
        department=apartments_dept,
        place="大厅",
        auditor=auditor,
    )
    for item in version.items.all():
        InspectionAnswer.objects.create(
            inspection=record,
            item=item,
            result="scored" if item.rule == "score" else "pass",
            score=10 if item.rule == "score" else None,
        )
    record.started_at = timezone.localtime(record.started_at)
    record.submitted_at = timezone.localtime(timezone.now())
    record.score = 100
    # When it is sealed, and then the chain is verified from the database (times in UTC)
    seals.seal(record)
    # Then the seal holds
    assert seals.verify_chain().ok
