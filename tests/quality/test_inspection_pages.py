"""Inspection records, the pages: who reaches what, an auditor's round on a tablet (start,
fill item by item or all at once, submit and seal), reading a record, amending it, the list."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from logistics.reference import service_areas_ensure
from quality import seals
from quality.models import Inspection, InspectionAnswer
from tests import factories as f
from tests.quality.data import (
    jpeg_upload,
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
def world(auditor, apartments_dept, dining_dept):
    """The apartments' checklist (1. score w2, 2. pass/fail w1, 3. score w1), a sealed record
    of the apartment center with a failed item and a photo, one of the dining center, and the
    auditor's own draft."""
    version = published_checklist(by=auditor)
    dining = published_checklist(
        "dining", items=[("餐具消毒", "pass_fail", "1", "assurance", "safety")], by=auditor
    )
    apartments_record = sealed_inspection_with_photo(
        version, department=apartments_dept, auditor=auditor, results=[4, "pass", 9]
    )
    dining_record = sealed_inspection(dining, department=dining_dept, auditor=auditor)
    draft = Inspection.objects.create(
        version=version,
        area=version.checklist.area,
        department=apartments_dept,
        place="5号公寓",
        auditor=auditor,
    )
    return {
        "version": version,
        "apartments": apartments_record,
        "dining": dining_record,
        "draft": draft,
    }


def url(name, *args):
    return reverse(f"quality:{name}", args=args)


def items_of(version):
    return list(version.items.order_by("position"))


# --- Access ------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_sign_in(client, world):
    record, draft = world["apartments"], world["draft"]
    item = items_of(world["version"])[0]
    for target in (
        url("inspection_list"),
        url("inspection_new"),
        url("inspection_detail", record.pk),
        url("inspection_fill", draft.pk),
        url("inspection_amend", record.pk),
        url("chain_verify"),
    ):
        response = client.get(target)
        assert response.status_code == 302 and "/login/" in response["Location"], target
    for target in (
        url("answer_save", draft.pk, item.pk),
        url("inspection_submit", draft.pk),
        url("inspection_discard", draft.pk),
    ):
        response = client.post(target)
        assert response.status_code == 302 and "/login/" in response["Location"], target


@pytest.mark.parametrize("who", ["student", "staff_member"])
def test_users_without_a_quality_role_get_404_everywhere(client, world, who, request):
    client.force_login(request.getfixturevalue(who))
    record, draft = world["apartments"], world["draft"]
    item = items_of(world["version"])[0]
    for target in (
        url("inspection_list"),
        url("inspection_new"),
        url("inspection_detail", record.pk),
        url("inspection_fill", draft.pk),
        url("inspection_amend", record.pk),
        url("chain_verify"),
    ):
        assert client.get(target).status_code == 404, target
    for target in (
        url("answer_save", draft.pk, item.pk),
        url("inspection_submit", draft.pk),
        url("inspection_discard", draft.pk),
        url("inspection_amend", record.pk),
    ):
        assert client.post(target, {"reason": "x"}).status_code == 404, target
    assert Inspection.objects.filter(pk=draft.pk).exists()
    assert not world["apartments"].amendments.exists()


def test_a_department_head_reads_their_departments_records_only(client, world, head):
    client.force_login(head)
    # The list shows the apartment center's sealed record, not the dining one, no drafts
    page = client.get(url("inspection_list")).content.decode()
    assert world["apartments"].number in page
    assert world["dining"].number not in page and world["draft"].number not in page
    assert url("inspection_new") not in page
    # Their record: 200, read-only (no amend, no nonconformity link)
    detail = client.get(url("inspection_detail", world["apartments"].pk))
    assert detail.status_code == 200
    assert "amend-link" not in detail.content.decode()
    assert "raise-nc" not in detail.content.decode()
    # Another department's record, a draft, the auditor's pages: 404
    assert client.get(url("inspection_detail", world["dining"].pk)).status_code == 404
    assert client.get(url("inspection_detail", world["draft"].pk)).status_code == 404
    assert client.get(url("inspection_fill", world["draft"].pk)).status_code == 404
    assert client.get(url("inspection_new")).status_code == 404
    assert client.get(url("inspection_amend", world["apartments"].pk)).status_code == 404
    response = client.post(url("inspection_amend", world["apartments"].pk), {"reason": "改"})
    assert response.status_code == 404


def test_an_auditor_sees_every_sealed_record_and_their_own_drafts(
    client, world, auditor, other_auditor
):
    client.force_login(auditor)
    page = client.get(url("inspection_list")).content.decode()
    for record in (world["apartments"], world["dining"], world["draft"]):
        assert record.number in page
    assert client.get(url("inspection_detail", world["dining"].pk)).status_code == 200
    assert client.get(url("inspection_fill", world["draft"].pk)).status_code == 200
    # Another auditor: every sealed record, but not this draft
    client.force_login(other_auditor)
    page = client.get(url("inspection_list")).content.decode()
    assert world["dining"].number in page and world["draft"].number not in page
    assert client.get(url("inspection_detail", world["draft"].pk)).status_code == 404
    assert client.get(url("inspection_fill", world["draft"].pk)).status_code == 404
    item = items_of(world["version"])[0]
    response = client.post(
        url("answer_save", world["draft"].pk, item.pk), {f"i{item.pk}-score": "1"}
    )
    assert response.status_code == 404
    assert client.post(url("inspection_discard", world["draft"].pk)).status_code == 404
    assert client.post(url("inspection_submit", world["draft"].pk)).status_code == 404
    assert not world["draft"].answers.exists()


def test_an_administrator_reads_and_inspects(client, world, admin):
    client.force_login(admin)
    for target in (
        url("inspection_list"),
        url("inspection_new"),
        url("inspection_detail", world["dining"].pk),
        url("inspection_amend", world["dining"].pk),
        url("chain_verify"),
    ):
        assert client.get(target).status_code == 200, target
    # not another person's draft
    assert client.get(url("inspection_fill", world["draft"].pk)).status_code == 404


def test_inspection_photos_are_seen_by_whoever_may_see_the_record(
    client, world, head, dining_head, student, other_auditor
):
    photo_id = world["apartments"].answers.exclude(photo=None).get().photo_id
    photo_url = reverse("photo", args=[photo_id])
    for user, status in (
        (head, 200),
        (other_auditor, 200),
        (dining_head, 404),
        (student, 404),
    ):
        client.force_login(user)
        assert client.get(photo_url).status_code == status, user


# --- Starting ----------------------------------------------------------------------------------


def test_an_auditor_starts_an_inspection(client, world, auditor, apartments_dept, campus):
    client.force_login(auditor)
    page = client.get(url("inspection_new"))
    text = page.content.decode()
    area = service_areas_ensure(["apartments"])["apartments"]
    # Only areas with a published checklist are offered
    assert (page.status_code == 200 and "学生公寓" in text) or "Apartments" in text
    assert "Transport" not in text
    response = client.post(
        url("inspection_new"),
        {
            "area": area.pk,
            "department": apartments_dept.pk,
            "campus": campus.pk,
            "place": "3号公寓大厅",
        },
    )
    created = Inspection.objects.exclude(pk=world["draft"].pk).get(status="draft")
    assert response.status_code == 302
    assert response["Location"] == url("inspection_fill", created.pk)
    assert (created.place, created.campus, created.version) == (
        "3号公寓大厅",
        campus,
        world["version"],
    )


def test_starting_with_bad_input_keeps_what_was_typed(client, world, auditor, dining_dept):
    client.force_login(auditor)
    area = service_areas_ensure(["apartments"])["apartments"]
    # The department does not serve the area (a tampered form): the service says so
    response = client.post(
        url("inspection_new"),
        {"area": area.pk, "department": dining_dept.pk, "place": "<i>3号楼</i>"},
    )
    text = response.content.decode()
    assert response.status_code == 400
    # (the department list was narrowed to the area's departments, so the form refuses it)
    assert "Select a valid choice" in text or "does not serve" in text
    assert "&lt;i&gt;3号楼&lt;/i&gt;" in text
    response = client.post(url("inspection_new"), {"area": area.pk, "place": ""})
    assert response.status_code == 400
    assert Inspection.objects.count() == 3


def test_the_department_choice_follows_the_area(client, world, auditor):
    client.force_login(auditor)
    area = service_areas_ensure(["dining"])["dining"]
    page = client.get(url("inspection_new"), {"area": area.pk}).content.decode()
    field = page[page.index('id="department-field"') :]
    field = field[: field.index("</select>")]
    assert "Dining Center" in field and "Apartment Center" not in field


# --- Filling -----------------------------------------------------------------------------------


def test_the_fill_page_has_the_right_control_for_each_item(client, world, auditor):
    client.force_login(auditor)
    page = client.get(url("inspection_fill", world["draft"].pk)).content.decode()
    first, second, third = items_of(world["version"])
    # a 0..10 number for scored items, with N/A; pass/fail radios (with N/A) for the other
    assert re.search(
        rf'name="i{first.pk}-score"[^>]*max="10"|max="10"[^>]*name="i{first.pk}-score"', page
    )
    assert f'name="i{first.pk}-na"' in page
    radios = re.findall(rf'type="radio"[^>]*name="i{second.pk}-result" value="(\w+)"', page)
    assert radios == ["pass", "fail", "na"]
    assert f'name="i{third.pk}-photo"' in page
    assert 'capture="environment"' in page
    # per-item saving via htmx, the running total, the confirmation before submitting
    assert f'hx-post="{url("answer_save", world["draft"].pk, first.pk)}"' in page
    assert 'id="running-total"' in page
    assert "can no longer be changed or deleted" in page
    assert f'formaction="{url("inspection_submit", world["draft"].pk)}"' in page
    assert "<script>" not in page.split("<main")[1].split("</main>")[0]


def test_saving_one_item_with_htmx_returns_it_and_the_running_total(client, world, auditor):
    client.force_login(auditor)
    draft = world["draft"]
    first = items_of(world["version"])[0]
    response = client.post(
        url("answer_save", draft.pk, first.pk),
        {f"i{first.pk}-score": "4", f"i{first.pk}-comment": "有纸屑"},
        HTTP_HX_REQUEST="true",
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert text.lstrip().startswith(f'<div id="item-{first.pk}"')
    assert 'data-testid="failed"' in text  # 4/10 is below 60%
    assert 'id="running-total"' in text and 'hx-swap-oob="true"' in text
    assert "40.00%" in text and "1 of 3 items answered" in text
    saved = draft.answers.get()
    assert (saved.result, saved.score, saved.comment) == ("scored", 4, "有纸屑")


def test_a_bad_item_via_htmx_comes_back_with_its_error_and_nothing_saved(client, world, auditor):
    client.force_login(auditor)
    draft = world["draft"]
    first = items_of(world["version"])[0]
    response = client.post(
        url("answer_save", draft.pk, first.pk),
        {f"i{first.pk}-score": "11", f"i{first.pk}-comment": "<b>x</b>"},
        HTTP_HX_REQUEST="true",
    )
    text = response.content.decode()
    assert response.status_code == 200  # htmx swaps only successful responses
    assert "less than or equal to 10" in text and "&lt;b&gt;x&lt;/b&gt;" in text
    assert not draft.answers.exists()


def test_saving_one_item_without_javascript_goes_back_to_the_page(client, world, auditor):
    client.force_login(auditor)
    draft = world["draft"]
    second = items_of(world["version"])[1]
    response = client.post(
        url("answer_save", draft.pk, second.pk), {f"i{second.pk}-result": "fail"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{url('inspection_fill', draft.pk)}#item-{second.pk}"
    assert draft.answers.get().result == "fail"


def test_a_photo_is_uploaded_with_an_item(client, world, auditor):
    client.force_login(auditor)
    draft = world["draft"]
    first = items_of(world["version"])[0]
    response = client.post(
        url("answer_save", draft.pk, first.pk),
        {f"i{first.pk}-score": "7", f"i{first.pk}-photo": jpeg_upload()},
        HTTP_HX_REQUEST="true",
    )
    saved = draft.answers.get()
    assert saved.photo_id and reverse("photo", args=[saved.photo_id]) in response.content.decode()
    # A file that is not a photo is refused next to the field
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("evil.jpg", b"<script>", content_type="image/jpeg")
    response = client.post(
        url("answer_save", draft.pk, first.pk),
        {f"i{first.pk}-score": "7", f"i{first.pk}-photo": bad},
        HTTP_HX_REQUEST="true",
    )
    assert "not a photo" in response.content.decode()
    saved.refresh_from_db()
    assert saved.photo_id is not None


def test_the_whole_form_saves_every_item_without_javascript(client, world, auditor):
    client.force_login(auditor)
    draft = world["draft"]
    first, second, third = items_of(world["version"])
    response = client.post(
        url("inspection_fill", draft.pk),
        {
            f"i{first.pk}-score": "9",
            f"i{first.pk}-comment": "",
            f"i{second.pk}-result": "pass",
            f"i{second.pk}-comment": "在岗",
            f"i{third.pk}-na": "on",
            f"i{third.pk}-comment": "",
            "note": "",
        },
    )
    assert response.status_code == 302
    answers = {a.item_id: (a.result, a.score, a.comment) for a in draft.answers.all()}
    assert answers == {
        first.pk: ("scored", 9, ""),
        second.pk: ("pass", None, "在岗"),
        third.pk: ("na", None, ""),
    }
    page = client.get(url("inspection_fill", draft.pk)).content.decode()
    assert "93.33%" in page  # (2×0.9 + 1) / 3


def test_the_whole_form_with_one_bad_item_saves_the_others_and_keeps_the_typing(
    client, world, auditor
):
    client.force_login(auditor)
    draft = world["draft"]
    first, second, third = items_of(world["version"])
    response = client.post(
        url("inspection_fill", draft.pk),
        {
            f"i{first.pk}-score": "abc",
            f"i{first.pk}-comment": "保留我",
            f"i{second.pk}-result": "fail",
            f"i{second.pk}-comment": "",
            f"i{third.pk}-comment": "",
        },
    )
    text = response.content.decode()
    assert response.status_code == 400
    assert "保留我" in text and "Enter a whole number" in text
    assert {a.item_id: a.result for a in draft.answers.all()} == {second.pk: "fail"}


def test_submitting_through_the_form_saves_then_seals(client, world, auditor):
    # Given the auditor's draft and a chain of two records
    client.force_login(auditor)
    draft = world["draft"]
    first, second, third = items_of(world["version"])
    # When the whole form is sent to "submit" (the button's formaction)
    response = client.post(
        url("inspection_submit", draft.pk),
        {
            f"i{first.pk}-score": "10",
            f"i{first.pk}-comment": "",
            f"i{second.pk}-result": "fail",
            f"i{second.pk}-comment": "无人值班",
            f"i{third.pk}-score": "6",
            f"i{third.pk}-comment": "",
            "note": "夜间复查",
        },
    )
    # Then the record is sealed as number 3 and the detail page shows it
    assert response.status_code == 302
    assert response["Location"] == url("inspection_detail", draft.pk)
    draft.refresh_from_db()
    assert draft.status == "sealed" and draft.sequence == 3 and draft.note == "夜间复查"
    assert str(draft.score) == "65.00"  # (2×1 + 0 + 0.6) / 4
    assert seals.verify_chain().ok
    page = client.get(response["Location"]).content.decode()
    assert "Sealed · #3 in the chain" in page
    assert f"<code>{draft.seal[:12]}</code>" in page and draft.seal in page
    assert "65.00%" in page and "无人值班" in page
    # The fill page of a sealed record sends to the record; changes are refused
    assert client.get(url("inspection_fill", draft.pk))["Location"] == url(
        "inspection_detail", draft.pk
    )
    again = client.post(url("inspection_submit", draft.pk), follow=True)
    assert "can no longer be changed" in again.content.decode()
    response = client.post(
        url("answer_save", draft.pk, first.pk), {f"i{first.pk}-score": "0"}, follow=True
    )
    assert "can no longer be changed" in response.content.decode()
    assert client.post(url("inspection_discard", draft.pk)).status_code == 302
    assert Inspection.objects.filter(pk=draft.pk).exists()
    assert seals.verify_chain().ok


def test_submitting_an_incomplete_draft_names_the_missing_items(client, world, auditor):
    client.force_login(auditor)
    draft = world["draft"]
    first, _second, _third = items_of(world["version"])
    response = client.post(
        url("inspection_submit", draft.pk),
        {f"i{first.pk}-score": "8", f"i{first.pk}-comment": "", "note": "备注保留"},
    )
    text = response.content.decode()
    assert response.status_code == 400
    assert "Not answered yet: 2. Item 2; 3. Item 3" in text
    assert text.count('data-testid="missing"') == 2 and "备注保留" in text
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert draft.answers.get().score == 8  # what was sent is kept


def test_discarding_a_draft(client, world, auditor):
    client.force_login(auditor)
    response = client.post(url("inspection_discard", world["draft"].pk))
    assert response.status_code == 302 and response["Location"] == url("inspection_list")
    assert not Inspection.objects.filter(pk=world["draft"].pk).exists()


def test_state_changes_need_post(client, world, auditor):
    client.force_login(auditor)
    draft = world["draft"]
    item = items_of(world["version"])[0]
    assert client.get(url("inspection_submit", draft.pk)).status_code == 405
    assert client.get(url("inspection_discard", draft.pk)).status_code == 405
    assert client.get(url("answer_save", draft.pk, item.pk)).status_code == 405


# --- Reading and amending ----------------------------------------------------------------------


def test_the_detail_of_a_sealed_record(client, world, auditor):
    client.force_login(auditor)
    record = world["apartments"]
    page = client.get(url("inspection_detail", record.pk)).content.decode()
    failed = record.answers.get(item__position=1)  # 4/10
    assert f"Sealed · #{record.sequence} in the chain" in page
    assert "5号公寓" not in page and "1号楼大厅" in page
    assert reverse("photo", args=[failed.photo_id]) in page
    # the failed item is highlighted with a link to raise a nonconformity about it
    assert page.count('data-testid="failed"') == 1
    assert f"{reverse('quality:nc_new')}?answer={failed.pk}" in page
    assert url("inspection_amend", record.pk) in page


def test_an_amendment_is_cited_both_ways(client, world, auditor, other_auditor):
    # Given a sealed record
    record = world["apartments"]
    client.force_login(other_auditor)
    # When another auditor asks to amend it: a form asking why
    form = client.get(url("inspection_amend", record.pk))
    assert form.status_code == 200 and "amend-form" in form.content.decode()
    assert client.post(url("inspection_amend", record.pk), {"reason": " "}).status_code == 400
    response = client.post(url("inspection_amend", record.pk), {"reason": "第1项应为8分"})
    amendment = Inspection.objects.get(amends=record)
    assert response["Location"] == url("inspection_fill", amendment.pk)
    # And corrects item 1 and submits
    first = items_of(world["version"])[0]
    client.post(url("answer_save", amendment.pk, first.pk), {f"i{first.pk}-score": "8"})
    response = client.post(url("inspection_submit", amendment.pk), {"note": ""})
    assert response.status_code == 302
    # Then the original says it was amended, and the amendment says what it amends
    original_page = client.get(url("inspection_detail", record.pk)).content.decode()
    assert f"Amended by {amendment.number} on" in original_page and "第1项应为8分" in original_page
    amendment_page = client.get(url("inspection_detail", amendment.pk)).content.decode()
    assert f"amends {record.number}" in amendment_page
    record.refresh_from_db()
    assert record.answers.get(item=first).score == 4
    assert seals.verify_chain(check_photos=True).ok


# --- The list ----------------------------------------------------------------------------------


def test_the_list_filters_by_failed_items_and_auditor(client, world, auditor, other_auditor):
    sealed_inspection(
        world["version"],
        department=world["apartments"].department,
        auditor=other_auditor,
        place="7号公寓",
    )
    client.force_login(auditor)
    page = client.get(url("inspection_list"), {"failed": "on"}).content.decode()
    assert world["apartments"].number in page and "7号公寓" not in page
    page = client.get(url("inspection_list"), {"auditor": other_auditor.pk}).content.decode()
    assert "7号公寓" in page and world["dining"].number not in page
    bad = client.get(url("inspection_list"), {"submitted_from": "not a date", "page": "x"})
    assert bad.status_code == 200


def test_the_list_takes_a_fixed_number_of_queries(
    client, world, auditor, apartments_dept, django_assert_num_queries
):
    client.force_login(auditor)
    client.get(url("inspection_list"))  # warms the caches (the notification bell)
    # session, user with role grants, the count, the page of records (with their area,
    # department, campus, auditor and failed-item count), and the filter form's choices:
    # areas, departments, campuses, auditors
    with django_assert_num_queries(8):
        assert client.get(url("inspection_list")).status_code == 200
    for n in range(8):
        sealed_inspection(
            world["version"],
            department=apartments_dept,
            auditor=f.user_with_role("auditor"),
            campus=f.CampusFactory(),
            results=[2, "fail", 3] if n % 2 else None,
        )
    with django_assert_num_queries(8):
        page = client.get(url("inspection_list")).content.decode()
    assert page.count('data-testid="inspection-row"') == 11


def test_the_list_pages(client, world, auditor, apartments_dept):
    for _ in range(26):
        sealed_inspection(world["version"], department=apartments_dept, auditor=auditor)
    client.force_login(auditor)
    first = client.get(url("inspection_list")).content.decode()
    assert first.count('data-testid="inspection-row"') == 25 and "Page 1 of 2" in first
    second = client.get(url("inspection_list"), {"page": 2}).content.decode()
    assert second.count('data-testid="inspection-row"') == 4


def test_answers_are_not_created_for_untouched_items(client, world, auditor):
    client.force_login(auditor)
    draft = world["draft"]
    first, second, third = items_of(world["version"])
    client.post(
        url("inspection_fill", draft.pk),
        {
            f"i{first.pk}-comment": "",
            f"i{second.pk}-comment": "",
            f"i{third.pk}-comment": "",
        },
    )
    assert not InspectionAnswer.objects.filter(inspection=draft).exists()


def test_htmx_on_a_sealed_record_sends_the_browser_to_the_record(client, world, auditor):
    client.force_login(auditor)
    record = world["apartments"]
    item = items_of(world["version"])[0]
    response = client.post(
        url("answer_save", record.pk, item.pk), {f"i{item.pk}-score": "1"}, HTTP_HX_REQUEST="true"
    )
    assert response["HX-Redirect"] == url("inspection_detail", record.pk)
    assert seals.verify_chain().ok
