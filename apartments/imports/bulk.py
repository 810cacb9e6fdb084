"""The database side of an import: lookups preloaded in a fixed handful of queries, and
bulk writes in batches, so the number of queries does not grow with the rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models
from django.db.models import F, Lookup

BATCH_SIZE = 2000  # rows per INSERT/UPDATE
LOOKUP_CHUNK = 5000  # values per `IN (…)` when preloading


def _chunks(values: list, size: int = LOOKUP_CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class _AnyOf(Lookup):
    """`column = ANY(%s)` with the values as one array parameter: PostgreSQL plans it like
    IN (…), and the driver does not have to handle a query of 30,000 placeholders."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = compiler.compile(self.lhs)
        return f"{lhs} = ANY(%s)", [*params, list(self.rhs)]


def _matching(queryset, field_name: str, values: Iterable) -> list:
    """The rows of `queryset` whose `field_name` is one of `values`: one query on PostgreSQL,
    elsewhere one per LOOKUP_CHUNK values (one for any ordinary file)."""
    values = list(values)
    if not values:
        return []
    if connection.vendor == "postgresql":
        return list(queryset.filter(_AnyOf(F(field_name), values)))
    return _in_chunks(lambda chunk: queryset.filter(**{f"{field_name}__in": chunk}), values)


def _in_chunks(make_query: Callable[[list], Iterable], values: Iterable) -> list:
    """Run `make_query(chunk)` over `values` in chunks of LOOKUP_CHUNK and concatenate: one
    query for any ordinary file, and never an IN list too long for the database."""
    values = list(values)
    found: list = []
    for chunk in _chunks(values):
        found.extend(make_query(chunk))
    return found


def _field_max(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def _insert(model, rows: list[dict[str, Any]], key: tuple[str, ...] = ()) -> dict[tuple, int]:
    """Insert `rows` (dicts of field values, all with the same fields; the other fields take
    their defaults) and return {values of the `key` fields: primary key}.

    On PostgreSQL this is one INSERT … SELECT FROM unnest(arrays): for 30,000 accounts 0.5 s
    where bulk_create takes 4 s, most of it preparing every field of every object in Python
    (bench/import_residents.py). It still runs through Django's cursor, so the query is
    logged and counted. Elsewhere (SQLite) it is bulk_create.
    """
    if not rows:
        return {}
    meta = model._meta
    names = list(rows[0])
    if connection.vendor != "postgresql":
        objs = [model(**row) for row in rows]
        model.objects.bulk_create(objs, batch_size=BATCH_SIZE)
        if any(obj.pk is None for obj in objs):  # databases that do not return new ids
            raise ImproperlyConfigured(
                "Imports need a database that returns the ids of new rows (PostgreSQL, SQLite)."
            )
        return {tuple(getattr(obj, name) for name in key): obj.pk for obj in objs}
    template = model()  # the defaults, computed once for all rows
    columns, selects, params, arrays = [], [], [], []
    for model_field in meta.concrete_fields:
        if model_field.primary_key or getattr(model_field, "generated", False):
            continue
        db_type = model_field.db_type(connection)
        given = next((n for n in (model_field.name, model_field.attname) if n in names), None)
        if given is None:
            value = model_field.pre_save(template, add=True)
            if hasattr(value, "resolve_expression"):
                continue  # a database default: leave the column out
            selects.append(f"%s::{db_type}")
            params.append(model_field.get_db_prep_save(value, connection))
        else:
            selects.append(f"t.c{len(arrays)}")
            arrays.append((db_type, [row[given] for row in rows]))
        columns.append(connection.ops.quote_name(model_field.column))
    quote = connection.ops.quote_name
    key_columns = [quote(meta.get_field(name).column) for name in key]
    # Only names from the model's metadata, quoted, go into the text; every value is a parameter.
    table = quote(meta.db_table)
    unnest = ", ".join(f"%s::{db_type}[]" for db_type, _values in arrays)
    aliases = ", ".join(f"c{n}" for n in range(len(arrays)))
    returning = ", ".join([quote(meta.pk.column), *key_columns])
    sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(selects)} "
    sql += f"FROM unnest({unnest}) AS t({aliases}) RETURNING {returning}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *(values for _db_type, values in arrays)])
        return {tuple(found): pk for pk, *found in cursor.fetchall()}


def _bulk_update(model, changes: list[tuple[models.Model, set[str]]]) -> None:
    """One bulk_update per set of changed fields: only what changed is written."""
    by_fields: dict[frozenset[str], list] = defaultdict(list)
    for obj, fields in changes:
        if fields:
            by_fields[frozenset(fields)].append(obj)
    for fields, objs in by_fields.items():
        model.objects.bulk_update(objs, sorted(fields), batch_size=BATCH_SIZE)
