"""A small university for the safety-round tests: the zero-report world (tests/apartments/
safety_data.py) with more rooms in S01, and helpers to walk a round."""

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from apartments import rounds
from apartments.models import HazardKind, Room, RoundKind, RoundRoom, SafetyRound
from tests.apartments.move_in_data import stay
from tests.apartments.safety_data import LONG_AGO, safety_world, staff_of
from tests.factories import ResidentFactory


def today() -> dt.date:
    return timezone.localdate()


def add_occupied_rooms(building, count, *, start=201):
    """`count` more rooms in `building`, each with one resident checked in a month ago."""
    rooms = []
    for i in range(count):
        room = Room.objects.create(
            building=building, floor=(start + i) // 100, number=str(start + i), capacity=1
        )
        bed = room.beds.create(number=1)
        stay(ResidentFactory(campus=building.campus), bed, at=timezone.now() - LONG_AGO)
        rooms.append(room)
    return rooms


def resident_user(resident):
    """The resident's portal account (the factory gives every resident one, a student)."""
    return resident.user


def rounds_world():
    world = safety_world()
    world["student_user"] = resident_user(world["student"])
    world["room"] = world["student"].stays.get().bed.room
    world["other_lead"] = staff_of(world["S02"], "shift_lead")
    s2_resident = world["S02"].rooms.get().beds.get().stays.get().resident
    world["other_student_user"] = resident_user(s2_resident)
    return world


def plan_today():
    """Plan today's rounds, as last night's job did."""
    rounds.rounds_plan(today() - dt.timedelta(days=1))


def round_of(building, kind=RoundKind.NIGHT, day=None):
    return SafetyRound.objects.get(building=building, date=day or today(), kind=kind)


def round_room(building, room, kind=RoundKind.NIGHT):
    return RoundRoom.objects.select_related("round").get(round=round_of(building, kind), room=room)


def photo_upload(name="kettle.jpg"):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def kettle(photo=None):
    return rounds.Finding(
        kind=HazardKind.BANNED_APPLIANCE, appliance="kettle", note="on the desk", photo=photo
    )


def hazard_in(world, *, who="shift_lead", kind=RoundKind.NIGHT):
    """A kettle found in the student's room on tonight's round."""
    plan_today()
    target = round_room(world["S01"], world["room"], kind)
    _, hazard = rounds.round_room_record(
        actor=world[who], round_room=target, ok=False, finding=kettle()
    )
    return hazard
