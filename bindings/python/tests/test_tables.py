"""The lists Python keeps in step with the header: an exception class for every status, a type
name for every field type code. Adding one to the header without Python fails here."""

from __future__ import annotations

from messageapi import core, errors
from messageapi._ffi import lib


def _constants(prefix: str) -> dict[str, int]:
    return {name: int(getattr(lib, name)) for name in dir(lib) if name.startswith(prefix)}


def test_every_status_has_its_exception() -> None:
    statuses = _constants("MAPI_ERR_")
    assert len(statuses) >= 18
    for name, code in statuses.items():
        cls = errors._BY_STATUS.get(code)
        assert cls is not None, f"no exception class for {name}"
        assert errors.error_for(code, "x").status_name == name


def test_type_names_follow_the_type_codes() -> None:
    types = _constants("MAPI_TYPE_")
    assert sorted(types.values()) == list(range(len(core._TYPE_NAMES)))
    spelled = {
        "MAPI_TYPE_STRING": "string", "MAPI_TYPE_INTEGER": "integer", "MAPI_TYPE_FLOAT": "float",
        "MAPI_TYPE_DOUBLE": "double", "MAPI_TYPE_BOOLEAN": "boolean", "MAPI_TYPE_DATETIME": "datetime",
        "MAPI_TYPE_LIST_INT": "list(int)", "MAPI_TYPE_LIST_DOUBLE": "list(double)",
        "MAPI_TYPE_LIST_STRING": "list(string)", "MAPI_TYPE_JSON": "json",
    }
    assert set(types) == set(spelled), "a field type the test does not know"
    for name, code in types.items():
        assert core._TYPE_NAMES[code] == spelled[name]
