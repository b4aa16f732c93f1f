"""SQL of the read paths compiled once per shape of query, then run with each request's values.

Django builds and compiles a queryset on every request: for the document detail and list that was
about 40 % of the request's CPU (profiled: the visibility filter, the count subqueries, the SQL
compiler), more than running the query. The SQL of these reads depends on little: the caller's roles
and token scope (which visibility filter), page size and offset, whether a cursor is used. Its
parameters are the caller's id, the document id, the cursor's values.

``rows(key, build, values)``: the first time a ``key`` is seen, ``build`` makes the queryset from
stand-ins (``STAND_IN_*``: values no real row has), Django compiles it, and the places where the
stand-ins landed among the parameters are noted, as each database adapts them (a UUID is 32 hex
digits on SQLite). Later requests only put their own values in those places. The queryset stays the
one definition of the query: a stand-in that does not land exactly where a value goes (a filter that
transforms it) is refused when the statement is made, and such queries keep the ORM.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.db import connections, router
from django.db.models import Field, QuerySet

from docintel.accounts.roles import roles_of

# Values that no row holds, one per kind of parameter.
STAND_IN_ID = -734_003_317  # users, sequence numbers
STAND_IN_UUID = uuid.UUID("5eed5eed-0000-4000-8000-00005eed5eed")
STAND_IN_TIME = datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)
_MAX_STATEMENTS = 2000  # page offsets are part of the key: a crawler cannot grow this without bound


class NotPreparable(Exception):
    """A stand-in did not appear verbatim among the parameters: this shape keeps the ORM."""


@dataclass(frozen=True)
class Statement:
    sql: str
    params: tuple
    slots: tuple[tuple[int, str], ...]  # (parameter index, value name)
    converters: tuple[tuple[int, tuple, object], ...]  # (column, converter functions, expression)


_ORM = Statement("", (), (), ())  # this shape cannot be prepared: the ORM runs it every time
_statements: dict[tuple, Statement] = {}
_lock = threading.Lock()


def stand_in_for(field: Field):
    if field.get_internal_type() == "UUIDField":
        return STAND_IN_UUID
    if field.get_internal_type() == "DateTimeField":
        return STAND_IN_TIME
    return STAND_IN_ID


def stand_in_user(roles: frozenset[str]):
    """A user object with the stand-in id and these roles (what ``roles.roles_of`` reads)."""
    user = get_user_model()(pk=STAND_IN_ID, is_active=True)
    user.__dict__["_docintel_roles"] = set(roles)
    return user


def rows(key: tuple, build: Callable[..., QuerySet], values: dict[str, tuple[object, Field | None]],
         model, *, converted: bool = True) -> list[tuple]:
    """The rows ``build(**values)`` returns, with the SQL made once per ``key`` (or by the ORM each time
    when this shape cannot be prepared). ``values``: name -> (this request's value, the field that
    adapts it; None for a user, whose id is the value's pk). ``key`` must hold everything else that
    shapes the SQL.

    ``converted=False``: the values as the database driver returns them, where the caller writes them
    out as text anyway (SQLite gives a UUID as 32 hex digits, a time as UTC text): making a UUID and a
    datetime of each row only to turn them back into strings was a fifth of a list page's CPU. Rows the
    ORM makes (shapes that cannot be prepared) are converted all the same."""
    alias = router.db_for_read(model)
    connection = connections[alias]
    full_key = (alias, *key)
    statement = _statements.get(full_key)
    if statement is None:
        try:
            statement = _prepare(build, values, connection, alias)
        except NotPreparable:
            statement = _ORM
        with _lock:
            if len(_statements) >= _MAX_STATEMENTS:
                _statements.clear()
            _statements[full_key] = statement
    if statement is _ORM:
        return list(build(**{name: value for name, (value, _) in values.items()}))
    params = list(statement.params)
    for index, name in statement.slots:
        value, field = values[name]
        params[index] = _adapt(value, field, connection)
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        fetched = cursor.fetchall()
    if not statement.converters or not converted:
        return fetched
    typed = []
    for row in fetched:
        row = list(row)
        for column, functions, expression in statement.converters:
            value = row[column]
            for function in functions:
                value = function(value, expression, connection)
            row[column] = value
        typed.append(tuple(row))
    return typed


def _adapt(value, field: Field | None, connection):
    if field is None:  # a user: its id
        return getattr(value, "pk", value)
    return field.get_db_prep_value(value, connection, prepared=False)


def _prepare(build, values, connection, alias) -> Statement:
    stand_ins = {name: stand_in_user(frozenset(roles_of(value))) if field is None else stand_in_for(field)
                 for name, (value, field) in values.items()}
    queryset = build(**stand_ins)
    compiler = queryset.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    slots: list[tuple[int, str]] = []
    for name, (_, field) in values.items():
        adapted = _adapt(stand_ins[name], field, connection)
        found = [index for index, param in enumerate(params) if param == adapted]
        # A value that went into the SQL transformed ("%value%", a date of a time) cannot be replaced.
        text = str(adapted)
        if any(isinstance(param, str) and text in param and param != adapted for param in params):
            raise NotPreparable(name)
        if not found and field is not None:  # a user may not be in the SQL at all (sees everything)
            raise NotPreparable(name)
        slots.extend((index, name) for index in found)
    expressions = [column[0] for column in compiler.select[: compiler.col_count]]
    converters = tuple((column, tuple(functions), expression)
                       for column, (functions, expression) in compiler.get_converters(expressions).items())
    return Statement(sql, tuple(params), tuple(slots), converters)
