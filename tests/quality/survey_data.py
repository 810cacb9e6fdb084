"""A small world for the survey tests: the maintenance and apartment centers, a building with
residents, repairs closed and move-outs cleared on a given day."""

import datetime as dt

from django.utils import timezone

from apartments.models import MoveOutRequest, Stay
from logistics.models import Role
from quality.models import SurveyInvitation
from quality.surveys import new_token, published_version
from tests import factories as f

DAY = dt.date(2026, 11, 10)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def departments():
    maintenance = f.DepartmentFactory(
        code="maintenance",
        name="维修中心",
        name_en="Maintenance Center",
        areas=["maintenance_utilities"],
    )
    apartments = f.DepartmentFactory(
        code="apartments", name="公寓中心", name_en="Apartment Center", areas=["apartments"]
    )
    return maintenance, apartments


def world(residents: int = 3):
    maintenance, apartments = departments()
    campus = f.CampusFactory()
    building = f.BuildingFactory(campus=campus)
    rooms = [f.RoomFactory(building=building) for _ in range((residents + 3) // 4)]
    people = [f.resident_living_in(rooms[i // 4]) for i in range(residents)]
    technician = f.technician(campus, skills=["plumbing"], username="tech1", full_name="王师傅")
    head = f.user_with_role(
        Role.DEPARTMENT_HEAD, department=maintenance, username="mhead", full_name="维修主任"
    )
    return {
        "maintenance": maintenance,
        "apartments": apartments,
        "campus": campus,
        "building": building,
        "rooms": rooms,
        "residents": people,
        "technician": technician,
        "head": head,
    }


def closed_ticket(resident, technician, day=DAY, **fields):
    room = Stay.objects.get(resident=resident, status=Stay.Status.ACTIVE).bed.room
    values = {
        "status": "closed",
        "closed_at": at(day, 15),
        "finished_at": at(day, 9),
        "started_at": at(day, 8),
        "technician": technician,
    }
    values.update(fields)
    return f.ticket(room=room, reporter=resident.user, **values)


def cleared_move_out(resident, day=DAY):
    stay = Stay.objects.get(resident=resident, status=Stay.Status.ACTIVE)
    return MoveOutRequest.objects.create(
        resident=resident,
        stay=stay,
        planned_date=day,
        reason="graduation",
        status=MoveOutRequest.Status.CLEARED,
        cleared_at=at(day, 11),
    )


def invitation(user, *, code="repair", service=None, day=None, expires=None, **fields):
    day = day or timezone.localdate()
    return SurveyInvitation.objects.create(
        token=new_token(),
        version=published_version(code),
        user=user,
        service=service or f"test:{new_token()[:10]}",
        about="维修 #1",
        about_en="Repair #1",
        invited_on=day,
        expires_on=expires or day + dt.timedelta(days=14),
        **fields,
    )


REPAIR_ANSWERS = {"on_time": 5, "fixed": 4, "courtesy": 5, "tidy": "yes", "comment": "很好"}
