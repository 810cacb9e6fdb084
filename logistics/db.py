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


class StatementTemplate:
    """A queryset's SQL, compiled once and executed many times with other values.

    Building and compiling a complex queryset (subqueries, EXISTS, JSON lookups) costs
    milliseconds of Python on every call, more than running it. A template is compiled from a
    queryset built with *markers* (values that occur nowhere else: an impossible id, a
    nonsense word) in place of the values that change from call to call; `params(**values)`
    puts the real values where the markers were. A marker found inside a longer text
    parameter is part of a LIKE pattern (`contains`, `icontains`…): its value is escaped for
    LIKE as Django escapes it.

    Only for querysets whose SQL depends on nothing but the markers (the caller keys its
    templates on whatever else shapes the SQL). `compile` refuses a queryset in which a marker
    does not occur, so a changed queryset cannot silently keep an old value."""

    def __init__(self, sql: str, params, markers: dict[str, object], connection):
        self.sql = sql
        self._params = list(params)
        self._slots: list[tuple[int, str, bool]] = []  # (position, name, inside a pattern)
        found = set()
        for position, param in enumerate(self._params):
            for name, marker in markers.items():
                if param == marker:
                    self._slots.append((position, name, False))
                    found.add(name)
                elif isinstance(param, str) and isinstance(marker, str) and marker in param:
                    self._slots.append((position, name, True))
                    found.add(name)
        missing = set(markers) - found
        if missing:
            raise ValueError(f"markers not found in the statement: {sorted(missing)}")
        self._markers = markers
        self._like = connection.ops.prep_for_like_query

    @classmethod
    def compile(cls, queryset, markers: dict[str, object]) -> StatementTemplate:
        query = queryset.query
        compiler = query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        return cls(sql, params, markers, compiler.connection)

    def params(self, **values) -> list:
        params = list(self._params)
        for position, name, in_pattern in self._slots:
            if in_pattern:
                params[position] = params[position].replace(
                    self._markers[name], self._like(str(values[name]))
                )
            else:
                params[position] = values[name]
        return params


# ModelTemplate.shared's templates, per process: (name, database alias) → template.
_SHARED: dict[tuple, ModelTemplate] = {}


class ModelTemplate(StatementTemplate):
    """A StatementTemplate of a queryset of model instances: `first(**values)` and
    `all(**values)` run the compiled statement and build the instances as the queryset would,
    with the related objects of its `select_related` and its annotations, without compiling it
    again. For a hot path's few lookups (a check-in's locks), where compiling a queryset with
    its joins cost more than running it.

    The rows become instances through Django's own machinery (the compiler's column map, its
    converters and related populators, as `ModelIterable` uses them), so nothing here knows a
    model's columns. Compile it inside a transaction when the queryset locks rows (Django
    refuses `select_for_update` outside one)."""

    @classmethod
    def compile(cls, queryset, markers: dict[str, object]) -> ModelTemplate:
        from django.db.models.query import get_related_populators

        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        template = cls(sql, params, markers, compiler.connection)
        template._db = queryset.db
        select, klass_info = compiler.select, compiler.klass_info
        template._model = klass_info["model"]
        fields = klass_info["select_fields"]
        template._slice = slice(fields[0], fields[-1] + 1)
        template._init_list = [f[0].target.attname for f in select[template._slice]]
        template._populators = get_related_populators(klass_info, select, queryset.db)
        template._annotations = dict(compiler.annotation_col_map)
        template._compiler = compiler
        template._converters = compiler.get_converters([s[0] for s in select[: compiler.col_count]])
        return template

    @classmethod
    def shared(cls, name, build, markers: dict[str, object], *, using: str) -> ModelTemplate:
        """The process's template `name` for database `using`, compiled from the queryset
        `build()` gives the first time it is asked for: the hot paths that use one neither
        build their queryset nor compile it again. `name` must name one queryset shape (add
        to it whatever changes the SQL)."""
        key = (name, using)
        template = _SHARED.get(key)
        if template is None:
            template = _SHARED[key] = cls.compile(build(), markers)
        return template

    def all(self, **values) -> list[Model]:
        with connections[self._db].cursor() as cursor:
            cursor.execute(self.sql, self.params(**values))
            rows = cursor.fetchall()
        if self._converters:
            rows = list(self._compiler.apply_converters(rows, self._converters))
        objs = []
        for row in rows:
            obj = self._model.from_db(self._db, self._init_list, row[self._slice])
            for populator in self._populators:
                populator.populate(row, obj)
            for name, position in self._annotations.items():
                setattr(obj, name, row[position])
            objs.append(obj)
        return objs

    def first(self, **values) -> Model | None:
        objs = self.all(**values)
        return objs[0] if objs else None
