"""Reading a spreadsheet moved to the kernel (logistics.tables) so that every app's import
shares it; the apartments' imports keep their old names."""

from logistics.tables import *  # noqa: F403
from logistics.tables import (  # noqa: F401
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_FILE_MB,
    MAX_ROWS,
    MAX_UNPACKED_BYTES,
    ImportFileError,
    Table,
    read_limited,
    read_table,
    too_large_message,
)
