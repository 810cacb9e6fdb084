"""How long the imports take for a university's intake: 30,000 residents, half of them with a
reserved bed, into 64 buildings (two campuses × 32 buildings × 6 floors × 20 rooms × 4 beds =
30,720 beds). Runs import_rooms, then import_residents, then both again (the second run must
change nothing), and prints the seconds of each.

    createdb -h 127.0.0.1 -U postgres logistics_bench_import
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/logistics_bench_import \\
        .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/logistics_bench_import \\
        .venv/bin/python bench/import_residents.py [--residents 30000] [--profile]

The bench owns the two campuses it creates (codes bench-north, bench-south) and everything in
them: it removes their buildings, residents and accounts before it starts, and nothing else.
The files are written to a temporary folder, removed at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "logistics.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import translation  # noqa: E402

from apartments.models import Bed, Building, Resident, Room, Stay  # noqa: E402
from logistics.models import Campus, User  # noqa: E402

CAMPUSES = [("bench-north", "北区校区", "North"), ("bench-south", "南区校区", "South")]
BUILDINGS_PER_CAMPUS, FLOORS, ROOMS_PER_FLOOR, BEDS_PER_ROOM = 32, 6, 20, 4
ID_PREFIX = "97"  # the bench's student ids: 97 and eight digits
CATEGORIES = ["本科生"] * 6 + ["undergraduate", "专升本", "研究生", "doctoral", "成教", "教工"]
COLLEGES = ["计算机学院", "机械工程学院", "经济管理学院", "外国语学院", "材料学院", "理学院"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静磊洋艳勇军杰娟涛明超"


def buildings():
    """(campus code, campus name, building code, gender) of every bench building."""
    for c, (code, name, _en) in enumerate(CAMPUSES):
        for b in range(1, BUILDINGS_PER_CAMPUS + 1):
            yield code, name, f"{'NS'[c]}{b:02d}", "男" if b % 2 else "女"


def write_files(folder: Path, residents: int) -> tuple[Path, Path]:
    rooms_path, residents_path = folder / "rooms.csv", folder / "residents.csv"
    slots = []  # every bed, in order: (campus name, building, room, bed, gender)
    with rooms_path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["校区", "楼栋", "楼层", "房间", "床位数", "性别"])
        for _code, campus, building, gender in buildings():
            for floor in range(1, FLOORS + 1):
                for r in range(1, ROOMS_PER_FLOOR + 1):
                    room = f"{floor}{r:02d}"
                    out.writerow([campus, building, floor, room, BEDS_PER_ROOM, gender])
                    slots.extend(
                        (campus, building, room, bed, gender) for bed in range(1, BEDS_PER_ROOM + 1)
                    )
    if residents > len(slots):
        raise SystemExit(f"{residents} residents need more than the {len(slots)} beds")
    with residents_path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(
            ["学号", "姓名", "性别", "类别", "校区", "学院", "班级", "楼栋", "房间", "床位", "电话"]
        )
        for n in range(residents):
            campus, building, room, bed, gender = slots[n]
            reserved = n % 2 == 0  # half of them have a bed reserved in advance
            college = COLLEGES[n % len(COLLEGES)]
            out.writerow(
                [
                    f"{ID_PREFIX}{n:08d}",
                    SURNAMES[n % len(SURNAMES)]
                    + GIVEN[n % len(GIVEN)]
                    + GIVEN[n // 7 % len(GIVEN)],
                    gender,
                    CATEGORIES[n % len(CATEGORIES)],
                    campus,
                    college,
                    f"{college[:2]}25-{n % 8 + 1}班",
                    building if reserved else "",
                    room if reserved else "",
                    bed if reserved else "",
                    f"139{n:08d}",
                ]
            )
    return rooms_path, residents_path


@transaction.atomic
def reset():
    """Remove what an earlier run left: the bench campuses' contents and the bench's accounts."""
    campuses = [
        Campus.objects.get_or_create(code=c, defaults={"name": n, "name_en": e})[0]
        for c, n, e in CAMPUSES
    ]
    Stay.objects.filter(resident__campus__in=campuses).delete()
    Stay.objects.filter(bed__room__building__campus__in=campuses).delete()
    Resident.objects.filter(campus__in=campuses).delete()
    User.objects.filter(username__startswith=ID_PREFIX, username__regex=r"^97[0-9]{8}$").delete()
    Bed.objects.filter(room__building__campus__in=campuses).delete()
    Room.objects.filter(building__campus__in=campuses).delete()
    Building.objects.filter(campus__in=campuses).delete()


def timed(command: str, path: Path, profile: bool) -> tuple[float, str]:
    out = io.StringIO()
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    call_command(command, str(path), stdout=out, stderr=out)
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - start
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return seconds, out.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=30_000)
    parser.add_argument("--profile", action="store_true", help="cProfile the first imports")
    options = parser.parse_args()

    database = settings.DATABASES["default"]
    print(f"database: {database['ENGINE'].rsplit('.', 1)[-1]} {database.get('NAME')}")
    start = time.perf_counter()
    reset()
    print(f"removed the previous run's data in {time.perf_counter() - start:.1f} s")
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        rooms_path, residents_path = write_files(Path(folder), options.residents)
        sizes = (
            f"{rooms_path.stat().st_size // 1024} KB, {residents_path.stat().st_size // 1024} KB"
        )
        print(f"files: {sizes}")
        with translation.override("en"):
            for run in ("first run", "second run"):
                for command, path in (
                    ("import_rooms", rooms_path),
                    ("import_residents", residents_path),
                ):
                    seconds, output = timed(command, path, options.profile and run == "first run")
                    counts = next(line for line in output.splitlines() if " rows: " in line)
                    print(f"{run:10}  {command:16}  {seconds:6.2f} s   {counts}")
    bench = {"campus__code__startswith": "bench-"}
    print(
        f"now: {Building.objects.filter(**bench).count()} buildings, "
        f"{Bed.objects.filter(room__building__campus__code__startswith='bench-').count()} beds, "
        f"{Resident.objects.filter(**bench).count()} residents, "
        f"{Stay.objects.filter(resident__campus__code__startswith='bench-').count()} reservations"
    )


if __name__ == "__main__":
    main()
