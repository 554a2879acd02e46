"""Checking the fields a caller may set on a record, with messages that name the field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Date, Integer, String, Text

from vidjil_kernel.exceptions import UsageError


def coerce_fields(
    model: type, fields: Mapping[str, Any], allowed: Iterable[str], what: str
) -> dict[str, Any]:
    """``fields`` converted to the column types of ``model``; unknown or bad ones raise.

    Dates may be given as ``datetime.date`` or ISO strings (``2024-03-01``), so
    the CLI and JSON callers need no conversion of their own.
    """
    allowed = tuple(allowed)
    table = model.__table__  # type: ignore[attr-defined]
    clean: dict[str, Any] = {}
    for name, value in fields.items():
        if name not in allowed:
            raise UsageError(f"{what}: field {name!r} cannot be set here "
                             f"(fields: {', '.join(allowed)})")
        column_type = table.c[name].type
        clean[name] = _coerce(value, column_type, what, name)
    return clean


def _coerce(value: Any, column_type: Any, what: str, name: str) -> Any:
    if value is None:
        return None
    if isinstance(column_type, Date):
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise UsageError(f"{what}: field {name!r}: {value!r} is not a date "
                             "(use YYYY-MM-DD)") from None
    if isinstance(column_type, String | Text):
        text = str(value)
        length = getattr(column_type, "length", None)
        if length is not None and len(text) > length:
            raise UsageError(f"{what}: field {name!r} is longer than {length} characters")
        return text
    if isinstance(column_type, Integer):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise UsageError(f"{what}: field {name!r}: {value!r} is not a whole number") from None
    return value
