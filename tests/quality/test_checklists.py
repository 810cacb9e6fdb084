"""Service standards: versioned checklists (the services, then the pages)."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from logistics.models import AuditEvent
from logistics.reference import service_areas_ensure
from quality import checklists, inspections, seals
from quality.checklists import ItemInput
from quality.models import Checklist, ChecklistItem, ChecklistVersion
from tests.quality.data import published_checklist, sealed_inspection

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


def item(text="地面干净", rule="score", weight="1", **kwargs):
    return ItemInput(
        text=text,
        rule=rule,
        weight=weight,
        servqual=kwargs.pop("servqual", "tangibles"),
        characteristic=kwargs.pop("characteristic", "comfort"),
        **kwargs,
    )


def new_checklist(actor, area="apartments", code="apt-daily"):
    area = service_areas_ensure([area])[area]
    return checklists.checklist_create(actor=actor, area=area, code=code, name="公寓日常检查")


# --- Services ----------------------------------------------------------------------------------


def test_a_new_checklist_starts_as_an_empty_draft_version_1(auditor):
    checklist = new_checklist(auditor)
    version = checklist.versions.get()
    assert (version.number, version.status, version.created_by) == (1, "draft", auditor)
    assert AuditEvent.objects.filter(action="checklist.create").exists()


def test_only_auditors_and_admins_write_standards(head, staff_member, admin):
    for user in (head, staff_member):
        with pytest.raises(checklists.NotAllowed):
            new_checklist(user)
    assert new_checklist(admin).code == "apt-daily"


@pytest.mark.parametrize(
    ("code", "name", "field"),
    [
        ("", "名", "code"),
        ("has space", "名", "code"),
        ("ok", "", "name"),
        ("ok", "名" * 101, "name"),
    ],
)
def test_a_checklist_needs_a_code_and_a_name(auditor, code, name, field):
    area = service_areas_ensure(["dining"])["dining"]
    with pytest.raises(checklists.ChecklistInvalid) as caught:
        checklists.checklist_create(actor=auditor, area=area, code=code, name=name)
    assert caught.value.field == field


def test_codes_are_unique(auditor):
    new_checklist(auditor)
    with pytest.raises(checklists.ChecklistInvalid, match="already has this code"):
        new_checklist(auditor)


def test_a_draft_is_edited_then_published(auditor):
    # Given a new checklist's draft
    version = new_checklist(auditor).versions.get()
    # Publishing an empty draft is refused
    with pytest.raises(checklists.ChecklistInvalid, match="at least one item"):
        checklists.version_publish(actor=auditor, version=version)
    # When items are added, one changed, one deleted and the rest reordered
    a = checklists.item_add(actor=auditor, version=version, item=item("甲"))
    b = checklists.item_add(actor=auditor, version=version, item=item("乙", rule="pass_fail"))
    c = checklists.item_add(actor=auditor, version=version, item=item("丙", weight="2.5"))
    assert [a.position, b.position, c.position] == [1, 2, 3]
    checklists.item_update(actor=auditor, item=a, values=item("甲改", max_score=5))
    checklists.item_delete(actor=auditor, item=b)
    checklists.items_reorder(actor=auditor, version=version, order=[c.pk, a.pk])
    # And the draft is published
    checklists.version_publish(actor=auditor, version=version)
    # Then it holds exactly those items, in that order, and is published
    version.refresh_from_db()
    assert version.status == "published" and version.published_by == auditor
    assert [(i.text, i.weight, i.max_score) for i in version.items.order_by("position")] == [
        ("丙", Decimal("2.50"), 10),
        ("甲改", Decimal("1.00"), 5),
    ]


def test_a_published_version_is_immutable_in_the_services(auditor):
    version = published_checklist(by=auditor)
    first = version.items.first()
    attempts = [
        lambda: checklists.item_add(actor=auditor, version=version, item=item()),
        lambda: checklists.item_update(actor=auditor, item=first, values=item("改")),
        lambda: checklists.item_delete(actor=auditor, item=first),
        lambda: checklists.items_reorder(
            actor=auditor, version=version, order=list(version.items.values_list("pk", flat=True))
        ),
        lambda: checklists.item_move(actor=auditor, item=first, offset=1),
        lambda: checklists.version_publish(actor=auditor, version=version),
        lambda: checklists.version_note_set(actor=auditor, version=version, note="x"),
    ]
    for attempt in attempts:
        with pytest.raises(checklists.VersionFrozen, match="can no longer be changed"):
            attempt()
    assert version.items.count() == 3
    first.refresh_from_db()
    assert first.text == "地面干净无杂物"


def test_a_stale_draft_object_cannot_be_edited_after_publishing(auditor):
    # Two auditors in two tabs: one publishes, the other still holds the draft object.
    version = new_checklist(auditor).versions.get()
    checklists.item_add(actor=auditor, version=version, item=item())
    stale = ChecklistVersion.objects.get(pk=version.pk)
    checklists.version_publish(actor=auditor, version=version)
    with pytest.raises(checklists.VersionFrozen):
        checklists.item_add(actor=auditor, version=stale, item=item("晚到的"))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"text": "  "}, "text"),
        ({"text": "长" * 301}, "text"),
        ({"text_en": "x" * 301}, "text_en"),
        ({"weight": "0"}, "weight"),
        ({"weight": "-1"}, "weight"),
        ({"weight": "1000"}, "weight"),
        ({"weight": "1.234"}, "weight"),
        ({"weight": "abc"}, "weight"),
        ({"weight": "NaN"}, "weight"),
        ({"rule": "stars"}, "rule"),
        ({"max_score": 0}, "max_score"),
        ({"max_score": 101}, "max_score"),
        ({"servqual": "beauty"}, "servqual"),
        ({"characteristic": "speed"}, "characteristic"),
    ],
)
def test_an_item_is_checked(auditor, kwargs, field):
    version = new_checklist(auditor).versions.get()
    values = {"text": "好", "rule": "score", "weight": "1", **kwargs}
    text = values.pop("text")
    with pytest.raises(checklists.ChecklistInvalid) as caught:
        checklists.item_add(actor=auditor, version=version, item=item(text, **values))
    assert caught.value.field == field
    assert not version.items.exists()


def test_a_new_draft_copies_the_published_items(auditor):
    v1 = published_checklist(by=auditor)
    v2 = checklists.version_draft_create(actor=auditor, checklist=v1.checklist, note="加一项")
    assert (v2.number, v2.status, v2.note) == (2, "draft", "加一项")
    copied = [(i.text, i.weight, i.rule, i.servqual) for i in v2.items.order_by("position")]
    original = [(i.text, i.weight, i.rule, i.servqual) for i in v1.items.order_by("position")]
    assert copied == original
    assert not set(v2.items.values_list("pk", flat=True)) & set(
        v1.items.values_list("pk", flat=True)
    )
    # Only one draft at a time
    with pytest.raises(checklists.DraftExists) as caught:
        checklists.version_draft_create(actor=auditor, checklist=v1.checklist)
    assert caught.value.draft == v2


def test_publishing_v2_retires_v1_and_leaves_past_inspections_on_v1(auditor, apartments_dept):
    # Given an inspection sealed against version 1
    v1 = published_checklist(by=auditor)
    old = sealed_inspection(
        v1, department=apartments_dept, auditor=auditor, results=[5, "pass", 10]
    )
    old_score = old.score
    # When version 2 changes an item's text and weight, drops one and is published
    v2 = checklists.version_draft_create(actor=auditor, checklist=v1.checklist)
    first, second, _third = v2.items.order_by("position")
    checklists.item_update(actor=auditor, item=first, values=item("新要求", weight="9"))
    checklists.item_delete(actor=auditor, item=second)
    checklists.version_publish(actor=auditor, version=v2)
    # Then v1 is retired, v2 is what new inspections use
    v1.refresh_from_db()
    assert v1.status == "retired"
    assert inspections.published_versions().get(checklist=v1.checklist) == v2
    # And the old record still shows v1's items and score, and its seal holds
    old.refresh_from_db()
    assert old.version == v1 and old.score == old_score
    texts = [a.item.text for a in old.answers.select_related("item").order_by("item__position")]
    assert texts == ["地面干净无杂物", "值班人员在岗", "服务态度热情"]
    answers = list(old.answers.select_related("item"))
    assert inspections.weighted_score(answers).percent == old_score
    assert seals.verify_chain().ok
    # A retired version is as frozen as a published one
    with pytest.raises(checklists.VersionFrozen):
        checklists.item_add(actor=auditor, version=v1, item=item())


def test_the_overview_counts_published_items(auditor, head):
    published_checklist(by=auditor)
    dining = published_checklist(
        "dining", items=[("餐具消毒", "pass_fail", "1", "assurance", "safety")]
    )
    checklists.version_draft_create(actor=auditor, checklist=dining.checklist)
    new_checklist(auditor, area="transport", code="bus")
    rows = {c.code: c for c in checklists.checklists_overview(auditor)}
    assert (rows["apartments-std"].published_number, rows["apartments-std"].published_items) == (
        1,
        3,
    )
    assert (rows["dining-std"].published_items, rows["dining-std"].draft_number) == (1, 2)
    assert (rows["bus"].published_number, rows["bus"].draft_number) == (None, 1)
    # The head of the apartment center reads the apartments' checklist only
    assert [c.code for c in checklists.checklists_overview(head)] == ["apartments-std"]


# --- Pages -------------------------------------------------------------------------------------


@pytest.fixture
def standards(auditor):
    """A published apartments checklist and a published dining one."""
    return {
        "apartments": published_checklist(by=auditor),
        "dining": published_checklist(
            "dining", items=[("餐具消毒", "pass_fail", "1", "assurance", "safety")], by=auditor
        ),
    }


def test_the_list_by_role(client, standards, student, staff_member, head, auditor, admin):
    url = reverse("quality:checklist_list")
    # anonymous: to the login page
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]
    # student, staff without a quality role: 404
    for user in (student, staff_member):
        client.force_login(user)
        assert client.get(url).status_code == 404
    # the apartment center's head: the apartments' checklist only, read-only
    client.force_login(head)
    page = client.get(url).content.decode()
    assert "apartments-std" in page and "dining-std" not in page
    assert reverse("quality:checklist_new") not in page
    # auditor and admin: every checklist, with the button to add one
    for user in (auditor, admin):
        client.force_login(user)
        page = client.get(url).content.decode()
        assert "apartments-std" in page and "dining-std" in page
        assert reverse("quality:checklist_new") in page
        assert "v1 published" in page and "3 items" in page


def test_the_list_takes_a_fixed_number_of_queries(client, auditor, django_assert_num_queries):
    published_checklist(by=auditor)
    client.force_login(auditor)
    url = reverse("quality:checklist_list")
    client.get(url)  # warms the caches (the notification bell)
    # session, user with role grants, the checklists with their counts (one query)
    with django_assert_num_queries(3):
        assert client.get(url).status_code == 200
    for area in ("dining", "transport", "reception"):
        published_checklist(area, by=auditor)
    with django_assert_num_queries(3):
        assert client.get(url).content.decode().count('data-testid="checklist-row"') == 4


def test_the_detail_shows_the_published_items_and_the_versions(client, standards, auditor):
    version = standards["apartments"]
    client.force_login(auditor)
    page = client.get(reverse("quality:checklist_detail", args=[version.checklist_id]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Item 1" in text and "Tangibles" in text and "Comfort" in text and "score 0–10" in text
    assert "never changes past inspections" in text
    assert reverse("quality:checklist_draft", args=[version.checklist_id]) in text


def test_the_detail_by_role(client, standards, student, staff_member, head, dining_head):
    apartments = reverse("quality:checklist_detail", args=[standards["apartments"].checklist_id])
    dining = reverse("quality:checklist_detail", args=[standards["dining"].checklist_id])
    assert client.get(apartments).status_code == 302
    for user in (student, staff_member):
        client.force_login(user)
        assert client.get(apartments).status_code == 404
    client.force_login(head)
    page = client.get(apartments)
    assert page.status_code == 200 and "new-draft" not in page.content.decode()
    assert client.get(dining).status_code == 404  # not their department's area
    client.force_login(dining_head)
    assert client.get(dining).status_code == 200
    assert client.get(apartments).status_code == 404


def test_an_auditor_creates_fills_and_publishes_a_checklist_through_the_pages(client, auditor):
    client.force_login(auditor)
    area = service_areas_ensure(["transport"])["transport"]
    # When the auditor creates a checklist
    response = client.post(
        reverse("quality:checklist_new"),
        {"area": area.pk, "code": "bus-daily", "name": "班车检查", "name_en": "Bus"},
    )
    version = ChecklistVersion.objects.get(checklist__code="bus-daily")
    assert response.status_code == 302
    assert response["Location"] == reverse("quality:version_edit", args=[version.pk])
    # And adds an item (an invalid one first: the form comes back with what was typed)
    add = reverse("quality:item_save", args=[version.pk])
    bad = {
        "text": "<b>准点</b>",
        "weight": "0",
        "rule": "score",
        "max_score": "10",
        "servqual": "reliability",
        "characteristic": "timeliness",
    }
    response = client.post(add, bad)
    assert response.status_code == 400
    assert "&lt;b&gt;准点&lt;/b&gt;" in response.content.decode()
    assert not version.items.exists()
    response = client.post(add, {**bad, "weight": "2"})
    assert response.status_code == 302
    saved = version.items.get()
    assert (saved.text, saved.weight) == ("<b>准点</b>", Decimal("2.00"))
    # And edits it (prefixed fields of its own form)
    edit = {f"item{saved.pk}-{k}": v for k, v in {**bad, "weight": "3", "text": "准点"}.items()}
    response = client.post(add, {"item": saved.pk, **edit})
    saved.refresh_from_db()
    assert response.status_code == 302 and (saved.text, saved.weight) == ("准点", Decimal("3.00"))
    # And publishes it
    response = client.post(reverse("quality:version_publish", args=[version.pk]))
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.status == "published"
    # Then the editor is read-only and any change is refused with a message
    page = client.get(reverse("quality:version_edit", args=[version.pk])).content.decode()
    assert 'data-testid="frozen"' in page and "item-add-form" not in page
    response = client.post(
        add, {"item": saved.pk, **edit, f"item{saved.pk}-text": "改"}, follow=True
    )
    assert "can no longer be changed" in response.content.decode()
    response = client.post(reverse("quality:item_delete", args=[version.pk, saved.pk]), follow=True)
    assert "can no longer be changed" in response.content.decode()
    assert version.items.get().text == "准点"


def test_publishing_an_empty_draft_says_why(client, auditor):
    client.force_login(auditor)
    version = new_checklist(auditor).versions.get()
    response = client.post(reverse("quality:version_publish", args=[version.pk]), follow=True)
    assert "Add at least one item before publishing." in response.content.decode()
    version.refresh_from_db()
    assert version.status == "draft"


def test_new_draft_button_and_a_second_press(client, standards, auditor):
    client.force_login(auditor)
    checklist = standards["apartments"].checklist
    url = reverse("quality:checklist_draft", args=[checklist.pk])
    response = client.post(url, {"note": "改版"})
    draft = ChecklistVersion.objects.get(checklist=checklist, status="draft")
    assert response["Location"] == reverse("quality:version_edit", args=[draft.pk])
    assert draft.items.count() == 3
    # A second press (double tap) goes to the same draft
    response = client.post(url, {"note": "改版"})
    assert response["Location"] == reverse("quality:version_edit", args=[draft.pk])
    assert ChecklistVersion.objects.filter(checklist=checklist).count() == 2


def test_moving_and_deleting_items_of_a_draft(client, standards, auditor):
    client.force_login(auditor)
    draft = checklists.version_draft_create(
        actor=auditor, checklist=standards["apartments"].checklist
    )
    first, second, third = draft.items.order_by("position")
    url = reverse("quality:item_save", args=[draft.pk])
    client.post(url, {"item": third.pk, "move": "up"})
    assert list(draft.items.order_by("position").values_list("pk", flat=True)) == [
        first.pk,
        third.pk,
        second.pk,
    ]
    client.post(reverse("quality:item_delete", args=[draft.pk, first.pk]))
    assert list(draft.items.order_by("position").values_list("pk", flat=True)) == [
        third.pk,
        second.pk,
    ]


@pytest.mark.parametrize("who", ["student", "staff_member", "head"])
def test_only_managers_reach_the_editor(client, standards, auditor, who, request):
    draft = checklists.version_draft_create(
        actor=auditor, checklist=standards["apartments"].checklist
    )
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("quality:version_edit", args=[draft.pk])).status_code == 404
    assert client.get(reverse("quality:checklist_new")).status_code == 404
    response = client.post(reverse("quality:item_save", args=[draft.pk]), {"text": "x"})
    assert response.status_code == 404
    assert client.post(reverse("quality:version_publish", args=[draft.pk])).status_code == 404
    item_id = draft.items.first().pk
    assert client.post(reverse("quality:item_delete", args=[draft.pk, item_id])).status_code == 404
    checklist_id = standards["apartments"].checklist_id
    assert client.post(reverse("quality:checklist_draft", args=[checklist_id])).status_code == 404
    assert draft.items.count() == 3 and Checklist.objects.count() == 2


def test_changes_need_post(client, standards, auditor):
    client.force_login(auditor)
    version = standards["apartments"]
    assert client.get(reverse("quality:version_publish", args=[version.pk])).status_code == 405
    assert client.get(reverse("quality:item_save", args=[version.pk])).status_code == 405


def test_an_item_of_another_version_is_404(client, standards, auditor):
    client.force_login(auditor)
    draft = checklists.version_draft_create(
        actor=auditor, checklist=standards["apartments"].checklist
    )
    foreign = standards["dining"].items.get()
    url = reverse("quality:item_delete", args=[draft.pk, foreign.pk])
    assert client.post(url).status_code == 404
    assert (
        client.post(reverse("quality:item_save", args=[draft.pk]), {"item": "abc"}).status_code
        == 404
    )
    assert ChecklistItem.objects.filter(pk=foreign.pk).exists()
