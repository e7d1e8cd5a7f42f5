"""Python values to and from the library's JSON."""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any

from ._ffi import ffi, lib
from .errors import check

MAPI_TYPE_DATETIME = 5


def _default(v: Any) -> Any:
    if isinstance(v, (_dt.datetime, _dt.date)):
        return v.isoformat()
    if isinstance(v, (set, frozenset, tuple)):
        return list(v)
    raise TypeError(f"{type(v).__name__} is not a value messageapi can store")


def to_json(value: Any) -> str:
    """JSON text of a Python value (datetimes as ISO-8601; naive ones are UTC)."""
    return json.dumps(value, default=_default, allow_nan=False)


def _get_json(record: Any, field: Any) -> str:
    n = ffi.new("size_t *")
    small = ffi.new("char[]", 256)
    status = lib.mapi_record_get_json(record, field, small, 256, n)
    if status == lib.MAPI_OK:
        return str(ffi.string(small, n[0]).decode("utf-8"))
    if status != lib.MAPI_ERR_BUFFER_TOO_SMALL:
        check(status)
    big = ffi.new("char[]", n[0] + 1)
    check(lib.mapi_record_get_json(record, field, big, n[0] + 1, n))
    return str(ffi.string(big, n[0]).decode("utf-8"))


def record_to_dict(record: Any) -> dict[str, Any]:
    """A record as a dict: field id -> value (datetimes as aware datetime objects)."""
    out: dict[str, Any] = json.loads(_get_json(record, ffi.NULL))
    for i in range(lib.mapi_record_field_count(record)):
        name = lib.mapi_record_field_name(record, i)
        if lib.mapi_record_field_type(record, name) == MAPI_TYPE_DATETIME:
            key = ffi.string(name).decode("utf-8")
            if isinstance(out.get(key), str):
                out[key] = parse_datetime(out[key])
    return out


def field_value(record: Any, field: str) -> Any:
    """One field's value."""
    value = json.loads(_get_json(record, field.encode()))
    if isinstance(value, str) and lib.mapi_record_field_type(record, field.encode()) == MAPI_TYPE_DATETIME:
        return parse_datetime(value)
    return value


def parse_datetime(text: str) -> _dt.datetime:
    return _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def set_fields(record: Any, fields: dict[str, Any]) -> None:
    """Sets each field from its JSON (the library converts to the field's type)."""
    for key, value in fields.items():
        check(lib.mapi_record_set_json(record, key.encode(), to_json(value).encode()))


def set_conditions(record: Any, conditions: dict[str, Any]) -> None:
    for key, value in conditions.items():
        check(lib.mapi_record_set_condition_json(record, key.encode(), to_json(value).encode()))
