"""Test data for move-out: a graduating group checked in, made in bulk."""

import datetime as dt

from django.utils import timezone

from apartments.models import (
    Bed,
    Category,
    Gender,
    MoveOutNotice,
    MoveOutRequest,
    Resident,
    Room,
    Stay,
)


def notice(**fields) -> MoveOutNotice:
    today = timezone.localdate()
    values = {
        "title": "2026届毕业生退宿须知",
        "title_en": "Moving out: graduates of 2026",
        "body": "请于离校前办理退宿。",
        "body_en": "Please move out before you leave.",
        "move_out_from": today,
        "move_out_until": today + dt.timedelta(days=20),
        "published_at": timezone.now(),
    }
    values.update(fields)
    return MoveOutNotice.objects.create(**values)


def graduates_in(building, n: int, *, year: int, prefix: str) -> list[Resident]:
    """`n` residents of the group `year`, each checked in to a bed of a new room of
    `building`, in a few bulk queries (no portal accounts)."""
    rooms = Room.objects.bulk_create(
        [
            Room(building=building, floor=1, number=f"{prefix}{i:05d}", capacity=4)
            for i in range((n + 3) // 4)
        ]
    )
    beds = Bed.objects.bulk_create(
        [Bed(room=room, number=k) for room in rooms for k in range(1, 5)][:n]
    )
    residents = Resident.objects.bulk_create(
        [
            Resident(
                student_id=f"{prefix}{i:07d}",
                name=f"毕业生{i}",
                gender=Gender.MALE,
                category=Category.UNDERGRADUATE,
                campus_id=building.campus_id,
                graduation_year=year,
            )
            for i in range(n)
        ]
    )
    if not residents[0].pk:  # backends that return no ids from bulk_create
        residents = list(Resident.objects.filter(student_id__startswith=prefix))
        beds = list(Bed.objects.filter(room__number__startswith=prefix))
    now = timezone.now()
    Stay.objects.bulk_create(
        [
            Stay(
                resident=r,
                bed=b,
                status=Stay.Status.ACTIVE,
                reserved_at=now,
                checked_in_at=now,
            )
            for r, b in zip(residents, beds, strict=True)
        ]
    )
    return residents


def requests_for(residents, statuses) -> None:
    """A request for each resident, the statuses cycling through `statuses` (None: none)."""
    stays = dict(
        Stay.objects.filter(resident__in=residents, status=Stay.Status.ACTIVE).values_list(
            "resident_id", "pk"
        )
    )
    rows = []
    for i, resident in enumerate(residents):
        status = statuses[i % len(statuses)]
        if status is None:
            continue
        rows.append(
            MoveOutRequest(
                resident=resident,
                stay_id=stays[resident.pk],
                planned_date=timezone.localdate(),
                reason="graduation",
                status=status,
            )
        )
    MoveOutRequest.objects.bulk_create(rows)
