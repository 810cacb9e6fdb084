from apartments.imports import ImportKind
from apartments.management.commands import import_rooms


class Command(import_rooms.Command):
    help = (
        "Import residents (student_id, name, gender, category, campus, college; optional class, "
        "building, room, bed, phone) and their portal accounts from a .csv or .xlsx file with "
        "English or Chinese headers. Accounts get the student id as username and no usable "
        "password. A file with any bad row imports nothing; importing a file again updates, "
        "never duplicates."
    )
    kind = ImportKind.RESIDENTS
