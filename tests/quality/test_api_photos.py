"""Quality photos for token clients: an inspection finding's photo and a nonconformity's
evidence come as signed URLs that open without a session or a header, for those who may see
the record; anyone else gets no record and no photo."""

import re

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from logistics.models import Photo, Role
from quality import nonconformities as nc_services
from tests import factories as f
from tests.quality.data import (
    jpeg_upload,
    photo_by,
    published_checklist,
    sealed_inspection_with_photo,
)

pytestmark = pytest.mark.django_db


def token_client(user) -> APIClient:
    token, _ = Token.objects.get_or_create(user=user)
    return APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")


def image_src() -> Client:
    """What an <image src> fetch is: no cookie, no Authorization header."""
    return Client()


def assert_image(response, photo: Photo):
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert re.fullmatch(r"private, max-age=\d+", response["Cache-Control"])
    with photo.image.open("rb") as file:
        assert b"".join(response.streaming_content) == file.read()


@pytest.fixture
def owner(apartments_dept):
    return f.user_with_role(Role.DORM_MANAGER, department=apartments_dept, username="owner1")


@pytest.fixture
def failed(auditor, apartments_dept):
    """A sealed inspection of the apartment center whose first finding has a photo."""
    checklist = published_checklist("apartments", by=auditor)
    return sealed_inspection_with_photo(
        checklist, department=apartments_dept, auditor=auditor, results=[8, "fail", 6]
    )


@pytest.fixture
def nonconformity(failed, auditor, owner):
    """Raised from the failed finding, with an evidence photo of its own."""
    return nc_services.nc_raise_from_answer(
        actor=auditor,
        answer=failed.answers.get(result="fail"),
        severity="major",
        title="值班员不在岗",
        description="22:10 值班室无人",
        owner=owner,
        evidence_file=jpeg_upload(color=(0, 0, 200)),
    )


def finding_photo_url(client, inspection) -> str:
    response = client.get(f"/api/v1/inspections/{inspection.pk}/")
    assert response.status_code == 200, response.content
    (url,) = [a["photo"] for a in response.json()["answers"] if a["photo"]]
    return url


@pytest.mark.parametrize("who", ["auditor", "head"])
def test_an_inspection_finding_photo_opens_for_those_who_see_the_record(request, failed, who):
    url = finding_photo_url(token_client(request.getfixturevalue(who)), failed)

    assert_image(image_src().get(url), failed.answers.get(photo__isnull=False).photo)


def test_the_record_list_gives_the_same_urls(failed, auditor):
    response = token_client(auditor).get("/api/v1/inspections/")
    (row,) = response.json()["results"]
    (url,) = [a["photo"] for a in row["answers"] if a["photo"]]

    assert_image(image_src().get(url), failed.answers.get(photo__isnull=False).photo)


def test_another_departments_head_gets_neither_record_nor_photo(failed, auditor, dining_head):
    url = finding_photo_url(token_client(auditor), failed)

    assert token_client(dining_head).get(f"/api/v1/inspections/{failed.pk}/").status_code == 404
    # The auditor's URL, with the dining head's id put in its place, opens nothing.
    prefix, token = url.rstrip("/").rsplit("/", 1)
    forged = f"{prefix}/{dining_head.pk}{token[len(str(auditor.pk)) :]}/"
    assert image_src().get(forged).status_code == 404


@pytest.mark.parametrize("who", ["auditor", "owner"])
def test_a_nonconformitys_evidence_opens_for_those_who_see_it(request, nonconformity, who):
    response = token_client(request.getfixturevalue(who)).get(
        f"/api/v1/nonconformities/{nonconformity.pk}/"
    )
    assert response.status_code == 200

    assert_image(image_src().get(response.json()["evidence"]), nonconformity.evidence)


def test_evidence_uploaded_with_the_nonconformity_opens_too(auditor, owner, apartments_dept):
    nonconformity = nc_services.nc_raise(
        actor=auditor,
        department=apartments_dept,
        severity="minor",
        title="楼道堆物",
        description="3 楼楼道堆放纸箱",
        owner=owner,
    )
    nonconformity.evidence = photo_by(auditor)
    nonconformity.save(update_fields=["evidence"])

    url = token_client(owner).get("/api/v1/nonconformities/").json()["results"][0]["evidence"]

    assert_image(image_src().get(url), nonconformity.evidence)


def test_a_nonconformity_without_evidence_has_none(auditor, apartments_dept):
    nc_services.nc_raise(
        actor=auditor,
        department=apartments_dept,
        severity="minor",
        title="楼道堆物",
        description="3 楼楼道堆放纸箱",
    )

    (row,) = token_client(auditor).get("/api/v1/nonconformities/").json()["results"]

    assert row["evidence"] is None
