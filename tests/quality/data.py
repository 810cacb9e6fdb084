"""Builders of quality test data: published checklists and sealed inspection records."""

import io
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.utils import timezone

from logistics.reference import service_areas_ensure
from quality import seals
from quality.models import (
    Checklist,
    ChecklistItem,
    ChecklistVersion,
    Inspection,
    InspectionAnswer,
)
from tests import factories as f

# (text, rule, weight, servqual, characteristic)
DEFAULT_ITEMS = [
    ("地面干净无杂物", "score", "2", "tangibles", "comfort"),
    ("值班人员在岗", "pass_fail", "1", "reliability", "safety"),
    ("服务态度热情", "score", "1", "empathy", "civility"),
]


def published_checklist(area_code="apartments", *, code=None, items=DEFAULT_ITEMS, by=None):
    """A checklist of `area_code` with version 1 published, holding `items`."""
    area = service_areas_ensure([area_code])[area_code]
    by = by or f.UserFactory()
    checklist = Checklist.objects.create(
        area=area, code=code or f"{area_code}-std", name=f"{area.name}检查表", name_en="Checklist"
    )
    version = ChecklistVersion.objects.create(
        checklist=checklist,
        number=1,
        status=ChecklistVersion.Status.PUBLISHED,
        created_by=by,
        published_by=by,
        published_at=timezone.now(),
    )
    ChecklistItem.objects.bulk_create(
        [
            ChecklistItem(
                version=version,
                position=position,
                text=text,
                text_en=f"Item {position}",
                rule=rule,
                weight=Decimal(weight),
                max_score=10,
                servqual=servqual,
                characteristic=characteristic,
            )
            for position, (text, rule, weight, servqual, characteristic) in enumerate(
                items, start=1
            )
        ]
    )
    return version


def sealed_inspection(
    version, *, department, auditor, results=None, place="1号楼大厅", campus=None, details=None
):
    """An inspection of `version` answered with `results` (one per item: an int score, "pass",
    "fail" or "na"; default all full marks/pass), scored and sealed into the chain. `details`
    gives more of an answer by item position, e.g. {2: {"comment": …, "photo": …}}: a sealed
    answer cannot be changed afterwards."""
    details = details or {}
    items = list(version.items.order_by("position"))
    if results is None:
        results = [10 if i.rule == "score" else "pass" for i in items]
    inspection = Inspection.objects.create(
        version=version,
        area=version.checklist.area,
        department=department,
        campus=campus,
        place=place,
        auditor=auditor,
    )
    answers = []
    for item, result in zip(items, results, strict=True):
        more = details.get(item.position, {})
        if isinstance(result, int):
            answers.append(
                InspectionAnswer(
                    inspection=inspection, item=item, result="scored", score=result, **more
                )
            )
        else:
            answers.append(
                InspectionAnswer(inspection=inspection, item=item, result=result, **more)
            )
    InspectionAnswer.objects.bulk_create(answers)
    inspection.score = weighted_score(items, results)
    inspection.submitted_at = timezone.now()
    return seals.seal(inspection)


def weighted_score(items, results):
    """The percentage the rules give (for building expected values in tests)."""
    earned = possible = Decimal(0)
    for item, result in zip(items, results, strict=True):
        if result == "na":
            continue
        fraction = (
            Decimal(result) / item.max_score
            if isinstance(result, int)
            else Decimal(1 if result == "pass" else 0)
        )
        earned += item.weight * fraction
        possible += item.weight
    if not possible:
        return None
    return (earned / possible * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def jpeg_upload(name="photo.jpg", color=(200, 30, 30), size=(32, 24)):
    """A small JPEG as a browser would upload it."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def photo_by(user, color=(200, 30, 30)):
    """A stored Photo uploaded by `user`."""
    from logistics.uploads import photo_create

    return photo_create(uploaded_by=user, file=jpeg_upload(color=color))


def sealed_inspection_with_photo(version, *, department, auditor, results=None, **kwargs):
    """Like sealed_inspection, with a photo (uploaded by `auditor`) on the first item."""
    inspection = Inspection.objects.create(
        version=version,
        area=version.checklist.area,
        department=department,
        campus=kwargs.get("campus"),
        place=kwargs.get("place", "1号楼大厅"),
        auditor=auditor,
    )
    items = list(version.items.order_by("position"))
    if results is None:
        results = [10 if i.rule == "score" else "pass" for i in items]
    photo = photo_by(auditor)
    for index, (item, result) in enumerate(zip(items, results, strict=True)):
        InspectionAnswer.objects.create(
            inspection=inspection,
            item=item,
            result="scored" if isinstance(result, int) else result,
            score=result if isinstance(result, int) else None,
            photo=photo if index == 0 else None,
        )
    inspection.score = weighted_score(items, results)
    inspection.submitted_at = timezone.now()
    return seals.seal(inspection)


GUARDED_TABLES = ("quality_inspection", "quality_inspectionanswer", "quality_chainanchor")


@contextmanager
def behind_the_guard():
    """Play the forger the seal chain exists for: someone with the table owner's rights who
    switches PostgreSQL's guard off (ALTER TABLE … DISABLE TRIGGER, quality migration 0003)
    and rewrites sealed records. The guard is back on afterwards (and the DDL is rolled back
    with the test's transaction in any case). SQLite has no guard to switch off."""
    if connection.vendor != "postgresql":
        yield
        return

    def switch(state):
        with connection.cursor() as cursor:
            # ALTER TABLE waits for no deferred foreign-key check: run the pending ones now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in GUARDED_TABLES:
                cursor.execute(f"ALTER TABLE {table} {state} TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    switch("DISABLE")
    try:
        yield
    finally:
        switch("ENABLE")
