"""Database helpers the ORM lacks."""

from __future__ import annotations

from django.db import connections, router
from django.db.models import Model
from django.db.models.sql import InsertQuery


def insert_together(*objs: Model) -> None:
    """Insert new model instances in one round trip and set their primary keys.

    On PostgreSQL one statement (a data-modifying WITH per row); elsewhere one INSERT each.
    The SQL of each row is Django's own (its InsertQuery, as `save` compiles it: defaults,
    `auto_now_add`, JSON), so nothing here knows a model's columns. Like `bulk_create`, it
    sends no `pre_save`/`post_save` signals: for rows nobody listens to (an audit record, a
    ticket's history) written beside a service's main change."""
    if not objs:
        return
    alias = router.db_for_write(type(objs[0]))
    connection = connections[alias]
    if connection.vendor != "postgresql" or len(objs) == 1:
        for obj in objs:
            type(obj)._base_manager.using(alias).bulk_create([obj])
        return
    parts, params, pks = [], [], []
    for n, obj in enumerate(objs):
        opts = obj._meta
        fields = [
            f
            for f in opts.concrete_fields
            if not f.generated and not (f.primary_key and obj.pk is None)
        ]
        query = InsertQuery(type(obj))
        query.insert_values(fields, [obj])
        compiler = query.get_compiler(connection=connection)
        compiler.returning_fields = [opts.pk]
        ((statement, statement_params),) = compiler.as_sql()
        parts.append(f"i{n} AS ({statement})")
        params.extend(statement_params)
        column = connection.ops.quote_name(opts.pk.column)
        pks.append(f"(SELECT {column} FROM i{n})")  # noqa: S608
    with connection.cursor() as cursor:
        # Django's own compiled INSERTs and quoted column names; values are parameters.
        cursor.execute(f"WITH {', '.join(parts)} SELECT {', '.join(pks)}", params)
        row = cursor.fetchone()
    for obj, pk in zip(objs, row, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = alias
