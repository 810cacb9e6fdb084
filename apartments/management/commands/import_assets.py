from apartments.imports import ImportKind
from apartments.management.commands import import_rooms


class Command(import_rooms.Command):
    help = (
        "Import room and storeroom assets (campus, building + room or storeroom, type, tag; "
        "optional condition, acquired_on) from a .csv or .xlsx file with English or Chinese "
        "headers. Asset types and storerooms must exist (they are kept in the admin). A file "
        "with any bad row imports nothing; importing a file again updates (moves an asset, "
        "changes its condition), never duplicates."
    )
    kind = ImportKind.ASSETS
