"""The demo university loaded by `seed_demo`. Each app adds its part in `<app>/demo.py` with
@demo_seeder(order); parts run in order, each idempotent (running twice changes nothing)."""

from __future__ import annotations

from collections.abc import Callable

DemoSeeder = Callable[[Callable[[str], None]], None]
SEEDERS: list[tuple[int, str, DemoSeeder]] = []

# Every demo account has this password; the README lists the accounts.
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - a published demo password, not a secret


def demo_seeder(order: int):
    def register(seed: DemoSeeder) -> DemoSeeder:
        name = f"{seed.__module__}.{seed.__name__}"
        if all(n != name for _, n, _s in SEEDERS):
            SEEDERS.append((order, name, seed))
        return seed

    return register


def seed_all(log: Callable[[str], None]) -> None:
    for _order, _name, seed in sorted(SEEDERS, key=lambda s: (s[0], s[1])):
        seed(log)


# The kernel's part: campuses, departments and one account for every staff role.
CAMPUSES = [("songbei", "松北校区", "Songbei campus"), ("jiangnan", "江南校区", "Jiangnan campus")]
DEPARTMENTS = [
    # (code, name, name_en, service areas)
    ("apartments", "公寓中心", "Apartment Center", ["apartments"]),
    ("maintenance", "维修中心", "Maintenance Center", ["maintenance_utilities"]),
    ("dining", "饮食中心", "Dining Center", ["dining"]),
    ("quality", "质量监控部", "Quality Supervision Department", []),
    ("reception", "接待中心", "Reception Center", ["reception"]),
    ("commerce", "商贸中心", "Commerce Center", ["commerce"]),
    ("transport", "交通中心", "Transport Center", ["transport"]),
    ("health", "医疗保健中心", "Health Care Center", ["health_care"]),
    ("environment", "环境保洁绿化中心", "Cleaning and Greening Center", ["cleaning_greening"]),
]
# (username, full name, role, campus code or None, department code or None)
STAFF = [
    ("admin", "系统管理员", "admin", None, None),
    ("head", "公寓中心主任", "department_head", None, "apartments"),
    ("manager", "张楼长", "dorm_manager", "songbei", "apartments"),
    ("shiftlead", "李领班", "shift_lead", "songbei", "apartments"),
    ("technician", "王师傅", "technician", "songbei", "maintenance"),
    ("dispatcher", "赵调度", "dispatcher", "songbei", "maintenance"),
    ("dining", "陈经理", "dining_manager", None, "dining"),
    ("auditor", "刘审核", "auditor", None, None),
]


@demo_seeder(order=10)
def seed_kernel(log):
    from django.db import transaction

    from logistics.models import Campus, Department, RoleGrant, User
    from logistics.reference import service_areas_ensure

    with transaction.atomic():
        campuses = {}
        for position, (code, name, name_en) in enumerate(CAMPUSES, start=1):
            campuses[code], _ = Campus.objects.get_or_create(
                code=code, defaults={"name": name, "name_en": name_en, "position": position}
            )
        areas = service_areas_ensure()
        departments = {}
        for code, name, name_en, area_codes in DEPARTMENTS:
            department, created = Department.objects.get_or_create(
                code=code, defaults={"name": name, "name_en": name_en}
            )
            if created:
                department.service_areas.set([areas[a] for a in area_codes])
            departments[code] = department
        for username, full_name, role, campus, department in STAFF:
            user, created = User.objects.get_or_create(
                username=username, defaults={"full_name": full_name}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                if role == "admin":
                    user.is_staff = user.is_superuser = True
                user.save()
            RoleGrant.objects.get_or_create(
                user=user,
                role=role,
                campus=campuses.get(campus),
                department=departments.get(department),
            )
    log(f"kernel: {len(campuses)} campuses, {len(departments)} departments, {len(STAFF)} staff")


@demo_seeder(order=90)
def seed_job_history(log):
    """The last three nights' runs, as beat would have left them, so the nightly jobs page of
    a fresh demo is not empty. (Recorded, not run: running them would change the other demo
    stories, e.g. close the repairs waiting for their reporter.)"""
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    from logistics.models import JobRun
    from logistics.nightly import NIGHTLY_JOBS

    today = timezone.localdate()
    zone = timezone.get_current_timezone()
    made = 0
    for days_ago in (3, 2, 1):
        day = today - timedelta(days=days_ago)
        started = timezone.make_aware(datetime.combine(day, time(23, 30)), zone)
        for position, name in enumerate(NIGHTLY_JOBS):
            begin = started + timedelta(seconds=2 * position)
            attempt = 1
            if days_ago == 2 and position == 0:
                # That night the first job's worker was killed halfway: the watchdog found the
                # run silent, marked it abandoned and sent it again, and the retry finished.
                _run, created = JobRun.objects.get_or_create(
                    job=name,
                    for_date=day,
                    status=JobRun.Status.ABANDONED,
                    defaults={
                        "trigger": "schedule",
                        "worker": "demo:1",
                        "started_at": begin,
                        "heartbeat_at": begin + timedelta(seconds=40),
                        "finished_at": begin + timedelta(minutes=12),
                        "retry_sent_at": begin + timedelta(minutes=12),
                    },
                )
                made += created
                attempt, begin = 2, begin + timedelta(minutes=17)
            _run, created = JobRun.objects.get_or_create(
                job=name,
                for_date=day,
                status=JobRun.Status.SUCCEEDED,
                defaults={
                    "attempt": attempt,
                    "trigger": "schedule" if attempt == 1 else "retry",
                    "worker": "demo:1" if attempt == 1 else "demo:2",
                    "started_at": begin,
                    "heartbeat_at": begin + timedelta(seconds=1),
                    "finished_at": begin + timedelta(seconds=1),
                },
            )
            made += created
    log(f"kernel: {made} nightly job runs of the last three nights")
