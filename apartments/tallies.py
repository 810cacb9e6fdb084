"""The move-in tallies: per building (beds, checked in, reserved, bedding kits by status) and
per campus × category (residents expected, checked in), kept current by database triggers,
so that the move-in dashboard and the summary API read a few hundred rows whatever the
number of residents.

Why triggers (docs/decisions.md, "Move-in tallies"): every path that changes a stay, a bed, a
room or a resident keeps them right without knowing they exist: the check-in services, move-out
and the keys handed back, both importers, the admin, the demo seed, the test factories, a
data fix in psql. Each connection adds to its own slot row (PostgreSQL: the backend's process
id modulo SLOTS), so concurrent desks never wait for one another's counter; the figures are
the sums over the slots. A trigger adds only when a row's contribution changes (a stay saved
with the same status and bed adds nothing).

SQLite (the zero-setup default) gets the same triggers in its own dialect, with one slot.
Its `flush` deletes table by table, firing the triggers: there a decrement only updates an
existing row, so a flush cannot leave rows behind. PostgreSQL's flush truncates, which fires
no row trigger and empties the tallies with everything else.

The arrivals per building and quarter hour (the dashboard's chart) have their own triggers, on
stays only, installed by a later migration.

`tally_recount()` rebuilds the three tables from the rows; the test suite proves that after each
path above the tallies equal a fresh recount (tests/apartments/test_tallies.py).
"""

# The SQL below is put together from this module's own constants only, never from input.
# ruff: noqa: S608

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction

# Slot rows per building and per campus × category: with 32, two of 5–20 database connections
# share one now and then, and the dashboard still sums a few thousand rows at most.
SLOTS = 32

# --- PostgreSQL ----------------------------------------------------------------------------------

POSTGRES_INSTALL = f"""
CREATE OR REPLACE FUNCTION apartments_building_tally_add(
    b bigint, d_beds integer, d_active integer, d_reserved integer) RETURNS void AS $$
BEGIN
    IF b IS NULL OR (d_beds = 0 AND d_active = 0 AND d_reserved = 0) THEN
        RETURN;
    END IF;
    INSERT INTO apartments_buildingtally AS t (building_id, slot, beds, active, reserved)
    VALUES (b, pg_backend_pid() % {SLOTS}, d_beds, d_active, d_reserved)
    ON CONFLICT (building_id, slot) DO UPDATE SET
        beds = t.beds + EXCLUDED.beds,
        active = t.active + EXCLUDED.active,
        reserved = t.reserved + EXCLUDED.reserved;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION apartments_resident_tally_add(
    r bigint, d_expected integer, d_checked integer) RETURNS void AS $$
BEGIN
    IF r IS NULL OR (d_expected = 0 AND d_checked = 0) THEN
        RETURN;
    END IF;
    INSERT INTO apartments_residenttally AS t (campus_id, category, slot, expected, checked_in)
    SELECT campus_id, category, pg_backend_pid() % {SLOTS}, d_expected, d_checked
    FROM apartments_resident WHERE id = r
    ON CONFLICT (campus_id, category, slot) DO UPDATE SET
        expected = t.expected + EXCLUDED.expected,
        checked_in = t.checked_in + EXCLUDED.checked_in;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION apartments_kit_tally_add(b bigint, d_placed integer,
    d_failed integer, d_issued integer, d_failures integer) RETURNS void AS $$
BEGIN
    IF b IS NULL OR (d_placed = 0 AND d_failed = 0 AND d_issued = 0 AND d_failures = 0) THEN
        RETURN;
    END IF;
    INSERT INTO apartments_buildingtally AS t (building_id, slot, beds, active, reserved,
        kits_placed, kits_failed, kits_issued, kit_failures)
    VALUES (b, pg_backend_pid() % {SLOTS}, 0, 0, 0, d_placed, d_failed, d_issued, d_failures)
    ON CONFLICT (building_id, slot) DO UPDATE SET
        kits_placed = t.kits_placed + EXCLUDED.kits_placed,
        kits_failed = t.kits_failed + EXCLUDED.kits_failed,
        kits_issued = t.kits_issued + EXCLUDED.kits_issued,
        kit_failures = t.kit_failures + EXCLUDED.kit_failures;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION apartments_bed_building(bed bigint) RETURNS bigint AS $$
    SELECT r.building_id FROM apartments_bed b
    JOIN apartments_room r ON r.id = b.room_id WHERE b.id = bed
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION apartments_stay_tally() RETURNS trigger AS $$
DECLARE
    old_active integer := 0; old_reserved integer := 0;
    new_active integer := 0; new_reserved integer := 0;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        old_active := (OLD.status = 'active')::integer;
        old_reserved := (OLD.status = 'reserved')::integer;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        new_active := (NEW.status = 'active')::integer;
        new_reserved := (NEW.status = 'reserved')::integer;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.bed_id = NEW.bed_id AND OLD.resident_id = NEW.resident_id THEN
        PERFORM apartments_building_tally_add(apartments_bed_building(NEW.bed_id), 0,
            new_active - old_active, new_reserved - old_reserved);
        PERFORM apartments_resident_tally_add(NEW.resident_id, 0, new_active - old_active);
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM apartments_building_tally_add(apartments_bed_building(OLD.bed_id), 0,
            -old_active, -old_reserved);
        PERFORM apartments_resident_tally_add(OLD.resident_id, 0, -old_active);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM apartments_building_tally_add(apartments_bed_building(NEW.bed_id), 0,
            new_active, new_reserved);
        PERFORM apartments_resident_tally_add(NEW.resident_id, 0, new_active);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION apartments_bedkit_tally() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.bed_id = NEW.bed_id THEN
        PERFORM apartments_kit_tally_add(apartments_bed_building(NEW.bed_id),
            (NEW.status = 'placed')::integer - (OLD.status = 'placed')::integer,
            (NEW.status = 'failed')::integer - (OLD.status = 'failed')::integer,
            (NEW.status = 'issued')::integer - (OLD.status = 'issued')::integer,
            NEW.failures - OLD.failures);
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM apartments_kit_tally_add(apartments_bed_building(OLD.bed_id),
            -(OLD.status = 'placed')::integer, -(OLD.status = 'failed')::integer,
            -(OLD.status = 'issued')::integer, -OLD.failures);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM apartments_kit_tally_add(apartments_bed_building(NEW.bed_id),
            (NEW.status = 'placed')::integer, (NEW.status = 'failed')::integer,
            (NEW.status = 'issued')::integer, NEW.failures);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION apartments_bed_tally() RETURNS trigger AS $$
DECLARE
    s record;
    k record;
    b bigint;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.room_id = NEW.room_id THEN
        RETURN NULL;
    END IF;
    -- A bed moved to another room takes its current stay along.
    SELECT count(*) FILTER (WHERE status = 'active') AS active,
           count(*) FILTER (WHERE status = 'reserved') AS reserved
    INTO s FROM apartments_stay
    WHERE bed_id = (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END)
      AND status IN ('active', 'reserved');
    SELECT count(*) FILTER (WHERE status = 'placed') AS placed,
           count(*) FILTER (WHERE status = 'failed') AS failed,
           count(*) FILTER (WHERE status = 'issued') AS issued,
           coalesce(sum(failures), 0) AS failures
    INTO k FROM apartments_bedkit
    WHERE bed_id = (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
    IF TG_OP <> 'INSERT' THEN
        b := (SELECT building_id FROM apartments_room WHERE id = OLD.room_id);
        PERFORM apartments_building_tally_add(b, -1, -s.active::integer, -s.reserved::integer);
        PERFORM apartments_kit_tally_add(b, -k.placed::integer, -k.failed::integer,
            -k.issued::integer, -k.failures::integer);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        b := (SELECT building_id FROM apartments_room WHERE id = NEW.room_id);
        PERFORM apartments_building_tally_add(b, 1, s.active::integer, s.reserved::integer);
        PERFORM apartments_kit_tally_add(b, k.placed::integer, k.failed::integer,
            k.issued::integer, k.failures::integer);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION apartments_room_tally() RETURNS trigger AS $$
DECLARE
    s record;
    kits record;
BEGIN
    IF OLD.building_id = NEW.building_id THEN
        RETURN NULL;
    END IF;
    -- A room moved to another building takes its beds and their stays along.
    SELECT (SELECT count(*) FROM apartments_bed WHERE room_id = NEW.id) AS beds,
           count(*) FILTER (WHERE st.status = 'active') AS active,
           count(*) FILTER (WHERE st.status = 'reserved') AS reserved
    INTO s FROM apartments_stay st JOIN apartments_bed b ON b.id = st.bed_id
    WHERE b.room_id = NEW.id AND st.status IN ('active', 'reserved');
    SELECT count(*) FILTER (WHERE k.status = 'placed') AS placed,
           count(*) FILTER (WHERE k.status = 'failed') AS failed,
           count(*) FILTER (WHERE k.status = 'issued') AS issued,
           coalesce(sum(k.failures), 0) AS failures
    INTO kits FROM apartments_bedkit k JOIN apartments_bed b ON b.id = k.bed_id
    WHERE b.room_id = NEW.id;
    PERFORM apartments_building_tally_add(OLD.building_id,
        -s.beds::integer, -s.active::integer, -s.reserved::integer);
    PERFORM apartments_building_tally_add(NEW.building_id,
        s.beds::integer, s.active::integer, s.reserved::integer);
    PERFORM apartments_kit_tally_add(OLD.building_id, -kits.placed::integer,
        -kits.failed::integer, -kits.issued::integer, -kits.failures::integer);
    PERFORM apartments_kit_tally_add(NEW.building_id, kits.placed::integer,
        kits.failed::integer, kits.issued::integer, kits.failures::integer);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION apartments_resident_tally() RETURNS trigger AS $$
DECLARE
    checked integer := 0;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.campus_id = NEW.campus_id
            AND OLD.category = NEW.category THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM apartments_resident_tally_add(NEW.id, 1, 0);
        RETURN NULL;
    END IF;
    SELECT count(*) INTO checked FROM apartments_stay
    WHERE resident_id = OLD.id AND status = 'active';
    -- OLD's campus and category: the row is read before the change is visible to it.
    INSERT INTO apartments_residenttally AS t (campus_id, category, slot, expected, checked_in)
    VALUES (OLD.campus_id, OLD.category, pg_backend_pid() % {SLOTS}, -1, -checked)
    ON CONFLICT (campus_id, category, slot) DO UPDATE SET
        expected = t.expected + EXCLUDED.expected,
        checked_in = t.checked_in + EXCLUDED.checked_in;
    IF TG_OP = 'UPDATE' THEN
        PERFORM apartments_resident_tally_add(NEW.id, 1, checked);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER apartments_stay_tally AFTER INSERT OR UPDATE OR DELETE ON apartments_stay
    FOR EACH ROW EXECUTE FUNCTION apartments_stay_tally();
CREATE TRIGGER apartments_bed_tally AFTER INSERT OR UPDATE OR DELETE ON apartments_bed
    FOR EACH ROW EXECUTE FUNCTION apartments_bed_tally();
CREATE TRIGGER apartments_room_tally AFTER UPDATE ON apartments_room
    FOR EACH ROW EXECUTE FUNCTION apartments_room_tally();
CREATE TRIGGER apartments_resident_tally AFTER INSERT OR UPDATE OR DELETE ON apartments_resident
    FOR EACH ROW EXECUTE FUNCTION apartments_resident_tally();
CREATE TRIGGER apartments_bedkit_tally AFTER INSERT OR UPDATE OR DELETE ON apartments_bedkit
    FOR EACH ROW EXECUTE FUNCTION apartments_bedkit_tally();
"""

POSTGRES_UNINSTALL = """
DROP TRIGGER IF EXISTS apartments_stay_tally ON apartments_stay;
DROP TRIGGER IF EXISTS apartments_bed_tally ON apartments_bed;
DROP TRIGGER IF EXISTS apartments_room_tally ON apartments_room;
DROP TRIGGER IF EXISTS apartments_resident_tally ON apartments_resident;
DROP TRIGGER IF EXISTS apartments_bedkit_tally ON apartments_bedkit;
DROP FUNCTION IF EXISTS apartments_bedkit_tally();
DROP FUNCTION IF EXISTS apartments_kit_tally_add(bigint, integer, integer, integer, integer);
DROP FUNCTION IF EXISTS apartments_stay_tally();
DROP FUNCTION IF EXISTS apartments_bed_tally();
DROP FUNCTION IF EXISTS apartments_room_tally();
DROP FUNCTION IF EXISTS apartments_resident_tally();
DROP FUNCTION IF EXISTS apartments_bed_building(bigint);
DROP FUNCTION IF EXISTS apartments_building_tally_add(bigint, integer, integer, integer);
DROP FUNCTION IF EXISTS apartments_resident_tally_add(bigint, integer, integer);
"""

# --- SQLite ---------------------------------------------------------------------------------------
# One slot (0). An increment makes sure the row exists first; a decrement only updates (see the
# module's docstring: SQLite's flush fires these triggers table by table).

_BED_BUILDING = (
    "(SELECT r.building_id FROM apartments_bed b "
    "JOIN apartments_room r ON r.id = b.room_id WHERE b.id = {bed})"
)


def _sqlite_building_add(building: str, beds: str, active: str, reserved: str) -> str:
    return f"""
    INSERT OR IGNORE INTO apartments_buildingtally (building_id, slot, beds, active, reserved)
        SELECT {building}, 0, 0, 0, 0 WHERE {building} IS NOT NULL;
    UPDATE apartments_buildingtally
        SET beds = beds + ({beds}), active = active + ({active}),
            reserved = reserved + ({reserved})
        WHERE building_id = {building} AND slot = 0;"""


def _sqlite_building_sub(building: str, beds: str, active: str, reserved: str) -> str:
    return f"""
    UPDATE apartments_buildingtally
        SET beds = beds - ({beds}), active = active - ({active}),
            reserved = reserved - ({reserved})
        WHERE building_id = {building} AND slot = 0;"""


def _sqlite_kits(
    building: str, sign: str, placed: str, failed: str, issued: str, failures: str
) -> str:
    """Add (sign "+", making sure the row exists) or take away (sign "-") kit counts."""
    ensure = (
        f"""INSERT OR IGNORE INTO apartments_buildingtally
            (building_id, slot, beds, active, reserved)
        SELECT {building}, 0, 0, 0, 0 WHERE {building} IS NOT NULL;"""
        if sign == "+"
        else ""
    )
    return f"""
    {ensure}
    UPDATE apartments_buildingtally
        SET kits_placed = kits_placed {sign} ({placed}),
            kits_failed = kits_failed {sign} ({failed}),
            kits_issued = kits_issued {sign} ({issued}),
            kit_failures = kit_failures {sign} ({failures})
        WHERE building_id = {building} AND slot = 0;"""


def _sqlite_bed_kits(building: str, sign: str, bed: str) -> str:
    """The kit of `bed` (none or one) added to or taken from `building`."""
    count = "(SELECT count(*) FROM apartments_bedkit WHERE bed_id = {bed} AND status = '{s}')"
    return _sqlite_kits(
        building,
        sign,
        count.format(bed=bed, s="placed"),
        count.format(bed=bed, s="failed"),
        count.format(bed=bed, s="issued"),
        f"(SELECT coalesce(sum(failures), 0) FROM apartments_bedkit WHERE bed_id = {bed})",
    )


def _sqlite_room_kits(building: str, sign: str) -> str:
    """The kits of the beds of room NEW added to or taken from `building`."""
    count = (
        "(SELECT count(*) FROM apartments_bedkit k JOIN apartments_bed b ON b.id = k.bed_id "
        "WHERE b.room_id = NEW.id AND k.status = '{s}')"
    )
    return _sqlite_kits(
        building,
        sign,
        count.format(s="placed"),
        count.format(s="failed"),
        count.format(s="issued"),
        "(SELECT coalesce(sum(k.failures), 0) FROM apartments_bedkit k "
        "JOIN apartments_bed b ON b.id = k.bed_id WHERE b.room_id = NEW.id)",
    )


def _sqlite_resident_add(resident: str, expected: str, checked: str) -> str:
    return f"""
    INSERT OR IGNORE INTO apartments_residenttally
        (campus_id, category, slot, expected, checked_in)
        SELECT campus_id, category, 0, 0, 0 FROM apartments_resident WHERE id = {resident};
    UPDATE apartments_residenttally
        SET expected = expected + ({expected}), checked_in = checked_in + ({checked})
        WHERE slot = 0 AND (campus_id, category) =
            (SELECT campus_id, category FROM apartments_resident WHERE id = {resident});"""


def _sqlite_resident_sub_at(campus: str, category: str, expected: str, checked: str) -> str:
    return f"""
    UPDATE apartments_residenttally
        SET expected = expected - ({expected}), checked_in = checked_in - ({checked})
        WHERE slot = 0 AND campus_id = {campus} AND category = {category};"""


_OLD_STAY_BUILDING = _BED_BUILDING.format(bed="OLD.bed_id")
_NEW_STAY_BUILDING = _BED_BUILDING.format(bed="NEW.bed_id")
_OLD_ACTIVE, _OLD_RESERVED = "OLD.status = 'active'", "OLD.status = 'reserved'"
_NEW_ACTIVE, _NEW_RESERVED = "NEW.status = 'active'", "NEW.status = 'reserved'"
_BED_STAYS = "(SELECT count(*) FROM apartments_stay WHERE bed_id = {bed} AND status = '{status}')"
_ROOM_BEDS = "(SELECT count(*) FROM apartments_bed WHERE room_id = NEW.id)"
_ROOM_STAYS = (
    "(SELECT count(*) FROM apartments_stay st JOIN apartments_bed b ON b.id = st.bed_id "
    "WHERE b.room_id = NEW.id AND st.status = '{status}')"
)
_RESIDENT_CHECKED = (
    "(SELECT count(*) FROM apartments_stay WHERE resident_id = OLD.id AND status = 'active')"
)

_OLD_ROOM_BUILDING = "(SELECT building_id FROM apartments_room WHERE id = OLD.room_id)"
_NEW_ROOM_BUILDING = "(SELECT building_id FROM apartments_room WHERE id = NEW.room_id)"
_OLD_KIT_BUILDING = _BED_BUILDING.format(bed="OLD.bed_id")
_NEW_KIT_BUILDING = _BED_BUILDING.format(bed="NEW.bed_id")


# Bed OLD leaves its building (deleted, or moved to another room): its count, its stays, its kit.
_BED_LEAVES = _sqlite_building_sub(
    _OLD_ROOM_BUILDING,
    "1",
    _BED_STAYS.format(bed="OLD.id", status="active"),
    _BED_STAYS.format(bed="OLD.id", status="reserved"),
) + _sqlite_bed_kits(_OLD_ROOM_BUILDING, "-", "OLD.id")


def _kit_values(row: str) -> tuple[str, str, str, str]:
    return (
        f"{row}.status = 'placed'",
        f"{row}.status = 'failed'",
        f"{row}.status = 'issued'",
        f"{row}.failures",
    )


# Stay OLD no longer counts where it did (deleted, or changed): its building, its resident.
_STAY_LEAVES = _sqlite_building_sub(
    _OLD_STAY_BUILDING, "0", _OLD_ACTIVE, _OLD_RESERVED
) + _sqlite_resident_sub_at(
    "(SELECT campus_id FROM apartments_resident WHERE id = OLD.resident_id)",
    "(SELECT category FROM apartments_resident WHERE id = OLD.resident_id)",
    "0",
    _OLD_ACTIVE,
)

SQLITE_INSTALL = [
    f"""CREATE TRIGGER apartments_stay_tally_insert AFTER INSERT ON apartments_stay
    BEGIN
    {_sqlite_building_add(_NEW_STAY_BUILDING, "0", _NEW_ACTIVE, _NEW_RESERVED)}
    {_sqlite_resident_add("NEW.resident_id", "0", _NEW_ACTIVE)}
    END""",
    f"""CREATE TRIGGER apartments_stay_tally_delete AFTER DELETE ON apartments_stay
    BEGIN
    {_STAY_LEAVES}
    END""",
    f"""CREATE TRIGGER apartments_stay_tally_update AFTER UPDATE ON apartments_stay
    WHEN OLD.status <> NEW.status OR OLD.bed_id <> NEW.bed_id
        OR OLD.resident_id <> NEW.resident_id
    BEGIN
    {_STAY_LEAVES}
    {_sqlite_building_add(_NEW_STAY_BUILDING, "0", _NEW_ACTIVE, _NEW_RESERVED)}
    {_sqlite_resident_add("NEW.resident_id", "0", _NEW_ACTIVE)}
    END""",
    f"""CREATE TRIGGER apartments_bed_tally_insert AFTER INSERT ON apartments_bed
    BEGIN
    {
        _sqlite_building_add(
            "(SELECT building_id FROM apartments_room WHERE id = NEW.room_id)", "1", "0", "0"
        )
    }
    END""",
    f"""CREATE TRIGGER apartments_bed_tally_delete AFTER DELETE ON apartments_bed
    BEGIN
    {_BED_LEAVES}
    END""",
    f"""CREATE TRIGGER apartments_bed_tally_update AFTER UPDATE ON apartments_bed
    WHEN OLD.room_id <> NEW.room_id
    BEGIN
    {_BED_LEAVES}
    {
        _sqlite_building_add(
            "(SELECT building_id FROM apartments_room WHERE id = NEW.room_id)",
            "1",
            _BED_STAYS.format(bed="NEW.id", status="active"),
            _BED_STAYS.format(bed="NEW.id", status="reserved"),
        )
    }
    {_sqlite_bed_kits(_NEW_ROOM_BUILDING, "+", "NEW.id")}
    END""",
    f"""CREATE TRIGGER apartments_room_tally_update AFTER UPDATE ON apartments_room
    WHEN OLD.building_id <> NEW.building_id
    BEGIN
    {
        _sqlite_building_sub(
            "OLD.building_id",
            _ROOM_BEDS,
            _ROOM_STAYS.format(status="active"),
            _ROOM_STAYS.format(status="reserved"),
        )
    }
    {
        _sqlite_building_add(
            "NEW.building_id",
            _ROOM_BEDS,
            _ROOM_STAYS.format(status="active"),
            _ROOM_STAYS.format(status="reserved"),
        )
    }
    {_sqlite_room_kits("OLD.building_id", "-")}
    {_sqlite_room_kits("NEW.building_id", "+")}
    END""",
    f"""CREATE TRIGGER apartments_bedkit_tally_insert AFTER INSERT ON apartments_bedkit
    BEGIN
    {_sqlite_kits(_NEW_KIT_BUILDING, "+", *_kit_values("NEW"))}
    END""",
    f"""CREATE TRIGGER apartments_bedkit_tally_delete AFTER DELETE ON apartments_bedkit
    BEGIN
    {_sqlite_kits(_OLD_KIT_BUILDING, "-", *_kit_values("OLD"))}
    END""",
    f"""CREATE TRIGGER apartments_bedkit_tally_update AFTER UPDATE ON apartments_bedkit
    WHEN OLD.status <> NEW.status OR OLD.failures <> NEW.failures OR OLD.bed_id <> NEW.bed_id
    BEGIN
    {_sqlite_kits(_OLD_KIT_BUILDING, "-", *_kit_values("OLD"))}
    {_sqlite_kits(_NEW_KIT_BUILDING, "+", *_kit_values("NEW"))}
    END""",
    f"""CREATE TRIGGER apartments_resident_tally_insert AFTER INSERT ON apartments_resident
    BEGIN
    {_sqlite_resident_add("NEW.id", "1", "0")}
    END""",
    f"""CREATE TRIGGER apartments_resident_tally_delete AFTER DELETE ON apartments_resident
    BEGIN
    {_sqlite_resident_sub_at("OLD.campus_id", "OLD.category", "1", _RESIDENT_CHECKED)}
    END""",
    f"""CREATE TRIGGER apartments_resident_tally_update AFTER UPDATE ON apartments_resident
    WHEN OLD.campus_id <> NEW.campus_id OR OLD.category <> NEW.category
    BEGIN
    {_sqlite_resident_sub_at("OLD.campus_id", "OLD.category", "1", _RESIDENT_CHECKED)}
    {_sqlite_resident_add("NEW.id", "1", _RESIDENT_CHECKED)}
    END""",
]

SQLITE_TRIGGERS = [
    "apartments_stay_tally_insert",
    "apartments_stay_tally_delete",
    "apartments_stay_tally_update",
    "apartments_bed_tally_insert",
    "apartments_bed_tally_delete",
    "apartments_bed_tally_update",
    "apartments_room_tally_update",
    "apartments_resident_tally_insert",
    "apartments_resident_tally_delete",
    "apartments_resident_tally_update",
    "apartments_bedkit_tally_insert",
    "apartments_bedkit_tally_delete",
    "apartments_bedkit_tally_update",
]

# --- Both ----------------------------------------------------------------------------------------

RECOUNT = [
    "DELETE FROM apartments_buildingtally",
    "DELETE FROM apartments_residenttally",
    """INSERT INTO apartments_buildingtally (building_id, slot, beds, active, reserved)
    SELECT bd.id, 0,
        (SELECT count(*) FROM apartments_bed b JOIN apartments_room r ON r.id = b.room_id
         WHERE r.building_id = bd.id),
        (SELECT count(*) FROM apartments_stay st JOIN apartments_bed b ON b.id = st.bed_id
         JOIN apartments_room r ON r.id = b.room_id
         WHERE r.building_id = bd.id AND st.status = 'active'),
        (SELECT count(*) FROM apartments_stay st JOIN apartments_bed b ON b.id = st.bed_id
         JOIN apartments_room r ON r.id = b.room_id
         WHERE r.building_id = bd.id AND st.status = 'reserved')
    FROM apartments_building bd""",
    """UPDATE apartments_buildingtally SET
        kits_placed = (SELECT count(*) FROM apartments_bedkit k
            JOIN apartments_bed b ON b.id = k.bed_id JOIN apartments_room r ON r.id = b.room_id
            WHERE r.building_id = apartments_buildingtally.building_id AND k.status = 'placed'),
        kits_failed = (SELECT count(*) FROM apartments_bedkit k
            JOIN apartments_bed b ON b.id = k.bed_id JOIN apartments_room r ON r.id = b.room_id
            WHERE r.building_id = apartments_buildingtally.building_id AND k.status = 'failed'),
        kits_issued = (SELECT count(*) FROM apartments_bedkit k
            JOIN apartments_bed b ON b.id = k.bed_id JOIN apartments_room r ON r.id = b.room_id
            WHERE r.building_id = apartments_buildingtally.building_id AND k.status = 'issued'),
        kit_failures = (SELECT coalesce(sum(k.failures), 0) FROM apartments_bedkit k
            JOIN apartments_bed b ON b.id = k.bed_id JOIN apartments_room r ON r.id = b.room_id
            WHERE r.building_id = apartments_buildingtally.building_id)""",
    """INSERT INTO apartments_residenttally (campus_id, category, slot, expected, checked_in)
    SELECT re.campus_id, re.category, 0, count(*),
        count(*) FILTER (WHERE EXISTS (SELECT 1 FROM apartments_stay st
                                       WHERE st.resident_id = re.id AND st.status = 'active'))
    FROM apartments_resident re GROUP BY re.campus_id, re.category""",
]


# --- Arrivals per quarter hour ----------------------------------------------------------------
# A separate set of triggers (migration 0010, after the other tallies): a check-in time set, moved
# or cleared, or a checked-in stay deleted, moves one arrival between (building, quarter hour)
# rows. A quarter hour is 900 seconds since the epoch, in UTC.

BUCKET_SECONDS = 900

POSTGRES_ARRIVALS_INSTALL = f"""
CREATE OR REPLACE FUNCTION apartments_arrival_tally_add(bed bigint, at timestamptz, d integer)
    RETURNS void AS $$
BEGIN
    IF bed IS NULL OR at IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO apartments_arrivaltally AS t (building_id, bucket, slot, arrivals)
    VALUES (apartments_bed_building(bed),
            to_timestamp(floor(extract(epoch FROM at) / {BUCKET_SECONDS}) * {BUCKET_SECONDS}),
            pg_backend_pid() % {SLOTS}, d)
    ON CONFLICT (bucket, building_id, slot) DO UPDATE SET arrivals = t.arrivals + EXCLUDED.arrivals;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION apartments_stay_arrival_tally() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.bed_id = NEW.bed_id
            AND OLD.checked_in_at IS NOT DISTINCT FROM NEW.checked_in_at THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM apartments_arrival_tally_add(OLD.bed_id, OLD.checked_in_at, -1);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM apartments_arrival_tally_add(NEW.bed_id, NEW.checked_in_at, 1);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER apartments_stay_arrival_tally AFTER INSERT OR UPDATE OR DELETE ON apartments_stay
    FOR EACH ROW EXECUTE FUNCTION apartments_stay_arrival_tally();
"""

# Every check-in rewrites a few tally rows: room left in each page for the new versions (HOT
# updates, no index change), and autovacuum told to clean them up after a few hundred updates
# rather than after a fifth of the table (a table of a few hundred rows would otherwise carry
# thousands of dead versions through move-in day and every read would wade through them).
POSTGRES_TALLY_STORAGE = """
ALTER TABLE apartments_buildingtally SET (fillfactor = 50,
    autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 500);
ALTER TABLE apartments_residenttally SET (fillfactor = 50,
    autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 500);
ALTER TABLE apartments_arrivaltally SET (fillfactor = 50,
    autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 500);
"""

POSTGRES_ARRIVALS_UNINSTALL = """
DROP TRIGGER IF EXISTS apartments_stay_arrival_tally ON apartments_stay;
DROP FUNCTION IF EXISTS apartments_stay_arrival_tally();
DROP FUNCTION IF EXISTS apartments_arrival_tally_add(bigint, timestamptz, integer);
"""

# SQLite keeps datetimes as UTC text; a bucket is written back in the form Django reads.
_SQLITE_BUCKET = "datetime((CAST(strftime('%s', {at}) AS INTEGER) / {n}) * {n}, 'unixepoch')"


def _sqlite_arrival(sign: str, row: str) -> str:
    bucket = _SQLITE_BUCKET.format(at=f"{row}.checked_in_at", n=BUCKET_SECONDS)
    building = _BED_BUILDING.format(bed=f"{row}.bed_id")
    update = f"""
    UPDATE apartments_arrivaltally SET arrivals = arrivals {sign} 1
        WHERE bucket = {bucket} AND building_id = {building} AND slot = 0;"""
    if sign == "-":  # a decrement only updates: see the module's docstring
        return update
    return f"""
    INSERT OR IGNORE INTO apartments_arrivaltally (building_id, bucket, slot, arrivals)
        SELECT {building}, {bucket}, 0, 0 WHERE {row}.checked_in_at IS NOT NULL;{update}"""


SQLITE_ARRIVALS_INSTALL = [
    f"""CREATE TRIGGER apartments_stay_arrival_insert AFTER INSERT ON apartments_stay
    WHEN NEW.checked_in_at IS NOT NULL
    BEGIN {_sqlite_arrival("+", "NEW")}
    END""",
    f"""CREATE TRIGGER apartments_stay_arrival_delete AFTER DELETE ON apartments_stay
    WHEN OLD.checked_in_at IS NOT NULL
    BEGIN {_sqlite_arrival("-", "OLD")}
    END""",
    f"""CREATE TRIGGER apartments_stay_arrival_update_old AFTER UPDATE ON apartments_stay
    WHEN OLD.checked_in_at IS NOT NULL AND (OLD.bed_id <> NEW.bed_id
        OR NEW.checked_in_at IS NULL OR OLD.checked_in_at <> NEW.checked_in_at)
    BEGIN {_sqlite_arrival("-", "OLD")}
    END""",
    f"""CREATE TRIGGER apartments_stay_arrival_update_new AFTER UPDATE ON apartments_stay
    WHEN NEW.checked_in_at IS NOT NULL AND (OLD.bed_id <> NEW.bed_id
        OR OLD.checked_in_at IS NULL OR OLD.checked_in_at <> NEW.checked_in_at)
    BEGIN {_sqlite_arrival("+", "NEW")}
    END""",
]

SQLITE_ARRIVALS_TRIGGERS = [
    "apartments_stay_arrival_insert",
    "apartments_stay_arrival_delete",
    "apartments_stay_arrival_update_old",
    "apartments_stay_arrival_update_new",
]

RECOUNT_ARRIVALS = {
    "postgresql": f"""INSERT INTO apartments_arrivaltally (building_id, bucket, slot, arrivals)
    SELECT r.building_id,
        to_timestamp(floor(extract(epoch FROM st.checked_in_at) / {BUCKET_SECONDS})
                     * {BUCKET_SECONDS}) AS bucket,
        0, count(*)
    FROM apartments_stay st JOIN apartments_bed b ON b.id = st.bed_id
    JOIN apartments_room r ON r.id = b.room_id
    WHERE st.checked_in_at IS NOT NULL GROUP BY r.building_id, bucket""",
    "sqlite": f"""INSERT INTO apartments_arrivaltally (building_id, bucket, slot, arrivals)
    SELECT r.building_id, {_SQLITE_BUCKET.format(at="st.checked_in_at", n=BUCKET_SECONDS)}
        AS bucket, 0, count(*)
    FROM apartments_stay st JOIN apartments_bed b ON b.id = st.bed_id
    JOIN apartments_room r ON r.id = b.room_id
    WHERE st.checked_in_at IS NOT NULL GROUP BY r.building_id, bucket""",
}


def install_arrivals(schema_connection) -> None:
    """Create the arrivals' triggers (migration 0010) and count."""
    _supported(schema_connection)
    with schema_connection.cursor() as cursor:
        if schema_connection.vendor == "postgresql":
            cursor.execute(POSTGRES_ARRIVALS_INSTALL)
            cursor.execute(POSTGRES_TALLY_STORAGE)
        else:
            for statement in SQLITE_ARRIVALS_INSTALL:
                cursor.execute(statement)
    recount_arrivals(schema_connection)


def uninstall_arrivals(schema_connection) -> None:
    with schema_connection.cursor() as cursor:
        if schema_connection.vendor == "postgresql":
            cursor.execute(POSTGRES_ARRIVALS_UNINSTALL)
        else:
            for name in SQLITE_ARRIVALS_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def recount_arrivals(using=None) -> None:
    target = using or connection
    with transaction.atomic(using=target.alias), target.cursor() as cursor:
        cursor.execute("DELETE FROM apartments_arrivaltally")
        cursor.execute(RECOUNT_ARRIVALS[target.vendor])


def _supported(schema_connection) -> None:
    if schema_connection.vendor not in ("postgresql", "sqlite"):
        # The portal runs on PostgreSQL (production) and SQLite (a bare machine) only.
        raise ImproperlyConfigured(
            "The move-in tallies are kept by triggers written for PostgreSQL and SQLite; "
            f"this database is {schema_connection.vendor}."
        )


def install(schema_connection) -> None:
    """Create the triggers (from the migration, on PostgreSQL or SQLite) and count."""
    _supported(schema_connection)
    with schema_connection.cursor() as cursor:
        if schema_connection.vendor == "postgresql":
            cursor.execute(POSTGRES_INSTALL)
        else:
            for statement in SQLITE_INSTALL:
                cursor.execute(statement)
    recount(schema_connection)


def uninstall(schema_connection) -> None:
    with schema_connection.cursor() as cursor:
        if schema_connection.vendor == "postgresql":
            cursor.execute(POSTGRES_UNINSTALL)
        else:
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def recount(using=None) -> None:
    """Rebuild both tallies from the rows, in one transaction: after the migration that adds
    them, and in the tests that prove the triggers keep them equal to this."""
    target = using or connection
    with transaction.atomic(using=target.alias), target.cursor() as cursor:
        for statement in RECOUNT:
            cursor.execute(statement)


def tally_recount() -> None:
    recount(connection)
    recount_arrivals(connection)
    recount_taken(connection)


# --- Taken beds (PostgreSQL) -----------------------------------------------------------------
# `apartments_bed.taken`: whether the bed has a current (reserved or active) stay, kept by a
# trigger on stays (migration 0021), with a partial index of the beds that are not taken. The
# check-in's compiled free-bed search (apartments.locks.first_free_bed_lock) reads it instead
# of probing each bed's stays: in a building filling up, that search used to look at every
# bed taken before the first free one, bed by bed. The column is not a model field: no
# `save()` of a bed loaded earlier can write back a stale value, and nothing but the trigger
# writes it. The search re-checks the bed it found against the stays (a flag is never the
# guard: the unique constraints on stays are). SQLite has no such column: its searches use
# the stays, as before (docs/decisions.md, "Taken beds").

POSTGRES_TAKEN_INSTALL = """
ALTER TABLE apartments_bed ADD COLUMN IF NOT EXISTS taken boolean NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS apartments_bed_free ON apartments_bed (room_id, number)
    WHERE NOT taken;

CREATE OR REPLACE FUNCTION apartments_bed_taken_set(b bigint) RETURNS void AS $$
BEGIN
    IF b IS NULL THEN
        RETURN;
    END IF;
    UPDATE apartments_bed SET taken = x.taken
    FROM (SELECT EXISTS (SELECT 1 FROM apartments_stay
                         WHERE bed_id = b AND status IN ('reserved', 'active')) AS taken) x
    WHERE id = b AND apartments_bed.taken IS DISTINCT FROM x.taken;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION apartments_stay_bed_taken() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM apartments_bed_taken_set(NEW.bed_id);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM apartments_bed_taken_set(OLD.bed_id);
    ELSIF OLD.bed_id IS DISTINCT FROM NEW.bed_id OR OLD.status IS DISTINCT FROM NEW.status THEN
        PERFORM apartments_bed_taken_set(OLD.bed_id);
        IF NEW.bed_id IS DISTINCT FROM OLD.bed_id THEN
            PERFORM apartments_bed_taken_set(NEW.bed_id);
        END IF;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS apartments_stay_bed_taken ON apartments_stay;
CREATE TRIGGER apartments_stay_bed_taken AFTER INSERT OR UPDATE OR DELETE ON apartments_stay
    FOR EACH ROW EXECUTE FUNCTION apartments_stay_bed_taken();
"""

POSTGRES_TAKEN_UNINSTALL = """
DROP TRIGGER IF EXISTS apartments_stay_bed_taken ON apartments_stay;
DROP FUNCTION IF EXISTS apartments_stay_bed_taken();
DROP FUNCTION IF EXISTS apartments_bed_taken_set(bigint);
DROP INDEX IF EXISTS apartments_bed_free;
ALTER TABLE apartments_bed DROP COLUMN IF EXISTS taken;
"""

RECOUNT_TAKEN = """
UPDATE apartments_bed b SET taken = x.taken
FROM (SELECT bd.id, EXISTS (SELECT 1 FROM apartments_stay st WHERE st.bed_id = bd.id
                            AND st.status IN ('reserved', 'active')) AS taken
      FROM apartments_bed bd) x
WHERE b.id = x.id AND b.taken IS DISTINCT FROM x.taken
"""


def has_taken_beds(using=None) -> bool:
    """Whether this database keeps `apartments_bed.taken` (PostgreSQL)."""
    return (using or connection).vendor == "postgresql"


def install_taken(schema_connection) -> None:
    """The taken beds' column, index and trigger, and their first count (migration 0021)."""
    if not has_taken_beds(schema_connection):
        return
    with schema_connection.cursor() as cursor:
        cursor.execute(POSTGRES_TAKEN_INSTALL)
        cursor.execute(RECOUNT_TAKEN)


def uninstall_taken(schema_connection) -> None:
    if has_taken_beds(schema_connection):
        with schema_connection.cursor() as cursor:
            cursor.execute(POSTGRES_TAKEN_UNINSTALL)


def recount_taken(using=None) -> None:
    target = using or connection
    if has_taken_beds(target):
        with target.cursor() as cursor:
            cursor.execute(RECOUNT_TAKEN)


# --- Migrations that rebuild a table on SQLite ---------------------------------------------------
# SQLite changes most columns by creating a new table, copying the rows, dropping the old one
# and renaming the new: a trigger on another table that names the old one then refuses the
# rename ("no such table"). A migration that alters residents, rooms, beds, stays or kits puts
# these two around its schema operations. PostgreSQL alters in place: nothing to do there.


def lift_sqlite_triggers(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        uninstall(schema_editor.connection)
        uninstall_arrivals(schema_editor.connection)


def restore_sqlite_triggers(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        install(schema_editor.connection)
        install_arrivals(schema_editor.connection)
