"""Imports of rooms, residents and assets from spreadsheets (CONTRACT.md, "Management commands").

One engine for the `import_rooms`/`import_residents` commands and the upload page:

    read the file (CSV or XLSX, decided by content) → map the header row (English or Chinese)
    → check every row, collecting every error → apply everything in one transaction, or
    nothing at all when any row is bad (and nothing either on a dry run).

Lookups are preloaded into dicts with a fixed handful of queries and the writes are bulk
queries in batches, so the number of queries does not grow with the rows (a 30,000-resident
file imports in seconds: bench/import_residents.py).

Every value from a file is only ever text: nothing is evaluated, control characters are
refused, and so is a code or name starting with = + - @ (a spreadsheet would run it as a
formula once the value is exported or pasted there). Campuses are created only when asked
(`import_rooms --create-campuses`, or an administrator's tick on the upload page).

The package, one module per concern (each imports only those above it):

    report.py      ImportKind, ImportReport, RowError: what an import tells its user
    reader.py      the file: CSV or .xlsx, size and row limits, every cell as text
    values.py      columns (English or Chinese headings), cell values, campuses by name
    bulk.py        preloaded lookups and batched writes (query counts independent of rows)
    engine.py      the steps every import shares: header, rows, checks, one transaction
    rooms.py, residents.py, assets.py    one importer each
    __init__.py    who may import, run_import(), the downloadable templates
"""

from __future__ import annotations

from apartments.imports.assets import ASSET_COLUMNS, AssetImporter
from apartments.imports.engine import _Importer
from apartments.imports.reader import (
    MAX_FILE_BYTES,
    MAX_FILE_MB,
    MAX_ROWS,
    ImportFileError,
    read_limited,
    read_table,
    too_large_message,
)
from apartments.imports.report import ImportKind, ImportReport, RowError
from apartments.imports.residents import RESIDENT_COLUMNS, ResidentImporter
from apartments.imports.rooms import ROOM_COLUMNS, RoomImporter
from apartments.models import AssetType
from logistics.access import ALL, has_role, roles_of
from logistics.models import Campus, Role


def may_import(user) -> bool:
    """Imports change buildings and residents of every campus: administrators, and heads of
    a department serving the apartments on every campus."""
    if Role.ADMIN in roles_of(user):
        return True
    if not has_role(user, Role.DEPARTMENT_HEAD):
        return False
    from apartments.selectors import apartment_head_campuses

    return apartment_head_campuses(user) is ALL


def may_create_campuses(user) -> bool:
    """Creating a campus is an administrator's decision (the admin site, or a first room
    import with --create-campuses)."""
    return Role.ADMIN in roles_of(user)


IMPORTERS: dict[str, type[_Importer]] = {
    ImportKind.ROOMS: RoomImporter,
    ImportKind.RESIDENTS: ResidentImporter,
    ImportKind.ASSETS: AssetImporter,
}


def run_import(
    kind: str, *, data: bytes, file_name: str, actor=None, dry_run=False, create_campuses=False
) -> ImportReport:
    """Import `data` (the file's bytes) as `kind`; see the module's docstring. Only a rooms
    import may `create_campuses` (those the file names that do not exist yet)."""
    options = {}
    if create_campuses:
        if kind != ImportKind.ROOMS:
            raise ValueError("only rooms imports create campuses")
        options["create_campuses"] = True
    return IMPORTERS[kind](file_name=file_name, actor=actor, dry_run=dry_run, **options).run(data)


def import_rooms(
    *, data: bytes, file_name: str, actor=None, dry_run=False, create_campuses=False
) -> ImportReport:
    return run_import(
        ImportKind.ROOMS,
        data=data,
        file_name=file_name,
        actor=actor,
        dry_run=dry_run,
        create_campuses=create_campuses,
    )


def import_assets(*, data: bytes, file_name: str, actor=None, dry_run=False) -> ImportReport:
    return run_import(
        ImportKind.ASSETS, data=data, file_name=file_name, actor=actor, dry_run=dry_run
    )


def import_residents(*, data: bytes, file_name: str, actor=None, dry_run=False) -> ImportReport:
    return run_import(
        ImportKind.RESIDENTS, data=data, file_name=file_name, actor=actor, dry_run=dry_run
    )


# --- Templates -------------------------------------------------------------------------------


def template_rows(kind: str) -> list[list[str]]:
    """The Chinese header row and one example row, for the downloadable templates."""
    campus = Campus.objects.order_by("code").first()
    campus_name = campus.name if campus else "松北校区"
    if kind == ImportKind.ROOMS:
        return [
            [c.chinese for c in ROOM_COLUMNS],
            [campus_name, "S01", "1", "101", "4", "男", "宿舍"],
        ]
    if kind == ImportKind.ASSETS:
        asset_type = AssetType.objects.order_by("code").first()
        return [
            [c.chinese for c in ASSET_COLUMNS],
            [
                campus_name,
                "S01",
                "101",
                "",
                asset_type.code if asset_type else "chair",
                "S01-101-chair-1",
                "完好",
                "2024-09-01",
            ],
        ]
    return [
        [c.chinese for c in RESIDENT_COLUMNS],
        [
            "2025000001",
            "张三",
            "男",
            "本科生",
            campus_name,
            "计算机学院",
            "计科25-1班",
            "S01",
            "101",
            "1",
            "13800000000",
        ],
    ]


__all__ = [
    "IMPORTERS",
    "MAX_FILE_BYTES",
    "MAX_FILE_MB",
    "MAX_ROWS",
    "AssetImporter",
    "ImportFileError",
    "ImportKind",
    "ImportReport",
    "ResidentImporter",
    "RoomImporter",
    "RowError",
    "import_assets",
    "import_residents",
    "import_rooms",
    "may_create_campuses",
    "may_import",
    "read_limited",
    "read_table",
    "run_import",
    "template_rows",
    "too_large_message",
]
