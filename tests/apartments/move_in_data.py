"""Test data for move-in: residents with reservations and check-ins, made in bulk."""

import csv
import io
from datetime import datetime

from django.utils import timezone

from apartments.models import Bed, Category, Gender, Stay
from tests.factories import BuildingFactory, CampusFactory, ResidentFactory, RoomFactory


def campuses():
    songbei = CampusFactory(code="songbei", name="松北校区", name_en="Songbei campus", position=1)
    jiangnan = CampusFactory(
        code="jiangnan", name="江南校区", name_en="Jiangnan campus", position=2
    )
    return songbei, jiangnan


def building_with_beds(campus, code, rooms=2, capacity=4, **kwargs):
    building = BuildingFactory(campus=campus, code=code, **kwargs)
    for i in range(rooms):
        RoomFactory(building=building, number=f"{101 + i}", capacity=capacity)
    return building


def free_beds(building):
    return list(
        Bed.objects.filter(room__building=building)
        .exclude(stays__status__in=Stay.CURRENT)
        .order_by("room__number", "number")
    )


def stay(resident, bed, *, status=Stay.Status.ACTIVE, at=None):
    at = at or timezone.now()
    return Stay.objects.create(
        resident=resident,
        bed=bed,
        status=status,
        reserved_at=at,
        checked_in_at=at if status == Stay.Status.ACTIVE else None,
        key_issued=status == Stay.Status.ACTIVE,
        kit_issued=status == Stay.Status.ACTIVE,
    )


def residents(campus, category=Category.UNDERGRADUATE, n=1, gender=Gender.MALE):
    return [ResidentFactory(campus=campus, category=category, gender=gender) for _ in range(n)]


def local(hour, minute=0, day=None):
    day = day or timezone.localdate()
    return timezone.make_aware(
        datetime(day.year, day.month, day.day, hour, minute), timezone.get_current_timezone()
    )


def csv_bytes(rows, *, encoding="utf-8", bom=False) -> bytes:
    """A CSV file as the registrar's spreadsheet saves it."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data
