"""The upload page for the imports: who may use it, and that it shows the engine's report."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from apartments import forms as import_forms
from apartments.models import Bed, Building, Resident, Room
from logistics.hall import entries_for
from logistics.models import AuditEvent, Campus, Role
from tests.factories import CampusFactory, DepartmentFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english():
    """Messages are asserted in English; the operator's own language is tested on its own."""
    from django.utils import translation

    with translation.override("en"):
        yield


URL = "/apartments/imports/"
ROOMS_CSV = "campus,building,floor,room,beds,gender\nsongbei,S01,1,101,4,M\nsongbei,S01,1,102,2,M\n"


@pytest.fixture
def campus():
    return CampusFactory(code="songbei", name="松北校区", name_en="Songbei")


@pytest.fixture
def admin_client(client, campus):
    client.force_login(user_with_role(Role.ADMIN))
    return client


def upload(
    client, content, *, kind="rooms", dry_run=False, name="rooms.csv", create_campuses=False
):
    data = content.encode() if isinstance(content, str) else content
    form = {"kind": kind, "file": SimpleUploadedFile(name, data)}
    if dry_run:
        form["dry_run"] = "on"
    if create_campuses:
        form["create_campuses"] = "on"
    return client.post(URL, form, HTTP_ACCEPT_LANGUAGE="en")


def counts():
    return (
        Building.objects.count(),
        Room.objects.count(),
        Bed.objects.count(),
        Resident.objects.count(),
        AuditEvent.objects.count(),
    )


def test_the_url_is_the_contract_s():
    assert reverse("apartments:import_upload") == URL


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={URL}"


@pytest.mark.parametrize(
    "role", [Role.STUDENT, Role.DORM_MANAGER, Role.SHIFT_LEAD, Role.AUDITOR, Role.TECHNICIAN]
)
def test_other_roles_get_404(client, role):
    client.force_login(user_with_role(role))
    assert client.get(URL).status_code == 404
    assert client.post(URL, {"kind": "rooms"}).status_code == 404
    assert (
        client.get(reverse("apartments:import_template", args=["rooms", "csv"])).status_code == 404
    )


def test_only_heads_of_the_apartments_on_every_campus_may_import(client, campus):
    # Given heads of the dining department, of the apartments on one campus, and of the
    # apartments everywhere
    apartments = DepartmentFactory(code="apartments", areas=["apartments"])
    dining = DepartmentFactory(code="dining", areas=["dining"])
    dining_head = user_with_role(Role.DEPARTMENT_HEAD, department=dining)
    campus_head = user_with_role(Role.DEPARTMENT_HEAD, department=apartments, campus=campus)
    head = user_with_role(Role.DEPARTMENT_HEAD, department=apartments)

    # Then only the last may (imports change every campus)
    for user, status in ((dining_head, 404), (campus_head, 404), (head, 200)):
        client.force_login(user)
        assert client.get(URL).status_code == status
        shown = any(e.key == "apartments.imports" for e in entries_for(user))
        assert shown is (status == 200)


def test_admin_sees_the_form_and_get_changes_nothing(admin_client):
    before = counts()
    response = admin_client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert "csrfmiddlewaretoken" in page
    assert "Check only (dry run): write nothing" in page
    assert counts() == before
    assert any(e.key == "apartments.imports" for e in entries_for(response.wsgi_request.user))


def test_upload_imports_and_shows_the_report(admin_client):
    response = upload(admin_client, ROOMS_CSV)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="import-done"' in page
    assert "2 rows: 2 created, 0 updated, 0 unchanged." in page
    assert Room.objects.count() == 2
    event = AuditEvent.objects.get(action="apartments.import_rooms")
    assert event.actor == response.wsgi_request.user
    assert event.changes["file"] == "rooms.csv"


def test_dry_run_shows_the_report_without_writing(admin_client):
    before = counts()
    response = upload(admin_client, ROOMS_CSV, dry_run=True)
    page = response.content.decode()
    assert 'data-testid="import-checked"' in page
    assert "Dry run: nothing was written." in page
    assert "2 rows: 2 created" in page
    assert counts() == before


def test_errors_are_listed_by_line_and_column_and_nothing_is_written(admin_client):
    before = counts()
    content = ROOMS_CSV + "songbei,S01,1,103,99,M\nsongbei,S01,x,104,2,M\n"
    response = upload(admin_client, content)
    assert 'data-testid="import-failed"' in response.content.decode()
    assert [(e.line, e.column) for e in response.context["errors"]] == [(4, "beds"), (5, "floor")]
    assert counts() == before


def test_residents_from_an_xlsx_upload(admin_client, tmp_path):
    upload(admin_client, ROOMS_CSV)
    template = admin_client.get(reverse("apartments:import_template", args=["residents", "xlsx"]))
    workbook = load_workbook(io.BytesIO(template.content))
    sheet = workbook.active
    sheet["H2"] = "S01"  # the example row's bed is in S01-101, bed 1
    buffer = io.BytesIO()
    workbook.save(buffer)

    response = upload(admin_client, buffer.getvalue(), kind="residents", name="学生名单.xlsx")

    assert 'data-testid="import-done"' in response.content.decode()
    resident = Resident.objects.get()
    assert (resident.student_id, resident.name, resident.category) == (
        "2025000001",
        "张三",
        "undergraduate",
    )
    assert resident.stays.get().bed.room.number == "101"


def test_only_the_first_500_errors_are_shown_with_a_count_of_the_rest(admin_client):
    content = "campus,building,floor,room,beds,gender\n" + "".join(
        f"songbei,S01,1,{n},0,M\n" for n in range(503)
    )
    response = upload(admin_client, content)
    assert len(response.context["errors"]) == 500
    assert response.context["errors_hidden"] == 3
    assert "and 3 more errors, not shown" in response.content.decode()


def test_a_file_too_large_is_refused_before_it_is_read(admin_client, monkeypatch):
    monkeypatch.setattr(import_forms, "MAX_FILE_BYTES", 10)
    response = upload(admin_client, ROOMS_CSV)
    assert response.context["report"] is None
    assert response.context["form"].errors["file"] == ["The file is larger than 20 MB."]
    assert Room.objects.count() == 0


def test_a_png_named_csv_is_reported_not_imported(admin_client):
    response = upload(admin_client, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", name="rooms.csv")
    assert [e.reason for e in response.context["errors"]] == [
        "This file is neither a CSV nor an Excel (.xlsx) file."
    ]


def test_values_in_the_report_are_escaped(admin_client):
    content = "campus,building,floor,room,beds,gender\n<script>alert(1)</script>,S01,1,1,1,M\n"
    page = upload(admin_client, content).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_post_needs_the_csrf_token(campus):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user_with_role(Role.ADMIN))
    response = client.post(
        URL, {"kind": "rooms", "file": SimpleUploadedFile("rooms.csv", ROOMS_CSV.encode())}
    )
    assert response.status_code == 403
    assert Room.objects.count() == 0


@pytest.mark.parametrize("kind", ["rooms", "residents"])
def test_templates_have_chinese_headers_and_an_example_row(admin_client, kind):
    # CSV: UTF-8 with a BOM, so that Excel opens it right
    response = admin_client.get(reverse("apartments:import_template", args=[kind, "csv"]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{kind}-template.csv"'
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][:2] == (["校区", "楼栋"] if kind == "rooms" else ["学号", "姓名"])
    assert len(rows) == 2
    # XLSX: the same rows
    response = admin_client.get(reverse("apartments:import_template", args=[kind, "xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == rows


def test_the_rooms_template_imports_as_it_is(admin_client):
    template = admin_client.get(reverse("apartments:import_template", args=["rooms", "xlsx"]))
    response = upload(admin_client, template.content, name="rooms-template.xlsx")
    assert 'data-testid="import-done"' in response.content.decode()
    assert str(Room.objects.get()) == "S01-101"


def test_unknown_template_is_404(admin_client):
    assert admin_client.get("/apartments/imports/template/users.csv").status_code == 404
    assert admin_client.get("/apartments/imports/template/rooms.pdf").status_code == 404


# --- Creating campuses from the page (administrators only) ----------------------------------

NEW_CAMPUS_CSV = "campus,building,floor,room,beds,gender\n南湖校区,N01,1,101,4,M\n"
CREATE_LABEL = "Create the campuses the file names"


@pytest.fixture
def apartments_head(campus):
    apartments = DepartmentFactory(code="apartments", areas=["apartments"])
    return user_with_role(Role.DEPARTMENT_HEAD, department=apartments)


def test_an_administrator_creates_the_campuses_a_room_file_names(admin_client):
    # Given the page offers administrators the choice
    assert CREATE_LABEL in admin_client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # When a room file naming a new campus is checked, then imported, with it ticked
    checked = upload(admin_client, NEW_CAMPUS_CSV, dry_run=True, create_campuses=True)
    assert "Campuses to create: 南湖校区 (code campus-1)." in checked.content.decode()
    assert not Campus.objects.filter(name="南湖校区").exists()
    response = upload(admin_client, NEW_CAMPUS_CSV, create_campuses=True)
    # Then the campus is created and listed, with the rooms on it
    page = response.content.decode()
    assert 'data-testid="import-done"' in page
    assert "Campuses created: 南湖校区 (code campus-1)." in page
    assert Room.objects.get().building.campus.name == "南湖校区"


def test_without_the_box_an_unknown_campus_is_a_bad_row(admin_client):
    response = upload(admin_client, NEW_CAMPUS_CSV)
    assert [(e.line, e.column) for e in response.context["errors"]] == [(2, "campus")]
    assert "--create-campuses" in response.content.decode()
    assert Campus.objects.count() == 1


def test_a_head_of_the_apartments_may_import_but_not_create_campuses(client, apartments_head):
    # Given a head of the apartments on every campus (who may import)
    client.force_login(apartments_head)
    # Then the page does not offer the choice
    assert CREATE_LABEL not in client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # and a forged request to create a campus creates none: the row is bad
    response = upload(client, NEW_CAMPUS_CSV, create_campuses=True)
    assert [(e.line, e.column) for e in response.context["errors"]] == [(2, "campus")]
    assert Campus.objects.count() == 1
    assert Room.objects.count() == 0


def test_only_a_room_import_creates_campuses(admin_client):
    response = upload(admin_client, "student_id\n1\n", kind="residents", create_campuses=True)
    assert response.context["report"] is None
    assert response.context["form"].errors["create_campuses"] == [
        "Only a room import creates campuses."
    ]
