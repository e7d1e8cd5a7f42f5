"""Plug-ins written in Python: endpoints, transformations and condition operators registered by
name, for manifests opened afterwards. They run on library worker threads; an exception inside
one becomes rejections (endpoints, transformations) or a failed condition, never a crash."""

from __future__ import annotations

import json
from typing import Any, Callable, Iterator, Mapping, Optional, TypeVar

from ._ffi import ffi, lib, text
from ._values import field_value, record_to_dict, set_fields
from .errors import check

_KEEP: list[Any] = []  # cffi callbacks must outlive every session that uses them
F = TypeVar("F", bound=Callable[..., Any])
ENDPOINT_FAILED = int(lib.MAPI_ERR_ENDPOINT)


class Record(dict):  # type: ignore[type-arg]
    """A record handed to a plug-in: a dict of its fields, that also knows the library record."""

    _ptr: Any = None


def _records(list_ptr: Any) -> list[Record]:
    out = []
    for i in range(lib.mapi_record_list_count(list_ptr)):
        ptr = lib.mapi_record_list_get(list_ptr, i)
        r = Record(record_to_dict(ptr))
        r._ptr = ptr
        out.append(r)
    return out


def _parameter(getter: Callable[..., int], call: Any, key: str) -> Any:
    n = ffi.new("size_t *")
    buf = ffi.new("char[]", 1024)
    status = getter(call, key.encode(), buf, 1024, n)
    if status == lib.MAPI_ERR_BUFFER_TOO_SMALL:
        buf = ffi.new("char[]", n[0] + 1)
        status = getter(call, key.encode(), buf, n[0] + 1, n)
    check(status)
    raw = ffi.string(buf, n[0]).decode()
    try:
        return json.loads(raw)
    except ValueError:
        return raw  # strings come raw


class Parameters(Mapping[str, Any]):
    """The constructor values of a plug-in's manifest entry (looked up by key)."""

    def __init__(self, getter: Callable[..., int], call: Any) -> None:
        self._getter, self._call = getter, call

    def __getitem__(self, key: str) -> Any:
        try:
            return _parameter(self._getter, self._call, key)
        except KeyError:
            raise
        except Exception as e:  # unknown key
            raise KeyError(key) from e

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


class State:
    """The state record of a connection: persists while the same request is resubmitted."""

    def __init__(self, ptr: Any) -> None:
        self._ptr = ptr

    def __getitem__(self, field: str) -> Any:
        return field_value(self._ptr, field)

    def get(self, field: str, default: Any = None) -> Any:
        if not lib.mapi_record_has_field(self._ptr, field.encode()):
            return default
        value = self[field]
        return default if value is None else value

    def __setitem__(self, field: str, value: Any) -> None:
        set_fields(self._ptr, {field: value})

    def to_dict(self) -> dict[str, Any]:
        return record_to_dict(self._ptr)


class EndpointCall:
    """What an endpoint sees during one submit."""

    def __init__(self, ptr: Any) -> None:
        self._ptr = ptr
        self.connection_id: str = text(lib.mapi_call_connection_id(ptr))
        self.parameters = Parameters(lib.mapi_call_parameter, ptr)

    @property
    def records(self) -> list[Record]:
        """Every record routed to the connection, once each."""
        return _records(lib.mapi_call_records(self._ptr))

    def records_by_collection(self, collection_id: str) -> list[Record]:
        out = ffi.new("mapi_record_list **")
        check(lib.mapi_call_records_by_collection(self._ptr, collection_id.encode(), out))
        return _records(out[0])

    def records_by_classifier(self, key: str, value: Optional[str] = None) -> list[Record]:
        out = ffi.new("mapi_record_list **")
        check(lib.mapi_call_records_by_classifier(self._ptr, key.encode(), value.encode() if value else ffi.NULL, out))
        return _records(out[0])

    def records_by_transformation(self, transformation_id: str) -> list[Record]:
        out = ffi.new("mapi_record_list **")
        check(lib.mapi_call_records_by_transformation(self._ptr, transformation_id.encode(), out))
        return _records(out[0])

    @property
    def state(self) -> State:
        return State(lib.mapi_call_state(self._ptr))

    def add(self, record: Optional[Mapping[str, Any]] = None, /, **fields: Any) -> None:
        """Adds an output record (the connection's default-fields, or open)."""
        out = ffi.new("mapi_record **")
        check(lib.mapi_call_add_record(self._ptr, out))
        values = dict(record or {})
        values.update(fields)
        set_fields(out[0], values)

    def reject(self, record: Mapping[str, Any], reason: str) -> None:
        """Rejects a routed record (one of this call's Record objects) with a reason."""
        ptr = getattr(record, "_ptr", None)
        if ptr is None:
            raise TypeError("reject() takes one of the call's records (from records or records_by_*)")
        check(lib.mapi_call_reject(self._ptr, ptr, reason.encode()))


class TransformCall:
    """What a transformation sees during one run."""

    def __init__(self, ptr: Any) -> None:
        self._ptr = ptr
        self.parameters = Parameters(lib.mapi_transform_parameter, ptr)

    def input(self, param: str) -> list[Record]:
        """The records bound to a parameter (this run's own copies)."""
        out = ffi.new("mapi_record_list **")
        check(lib.mapi_transform_input(self._ptr, param.encode(), out))
        return _records(out[0])

    def add(self, record: Optional[Mapping[str, Any]] = None, /, *, copy_from: Optional[Record] = None, **fields: Any) -> None:
        """Adds an output record: open, or a copy of `copy_from`, with these fields set."""
        out = ffi.new("mapi_record **")
        source = copy_from._ptr if copy_from is not None and copy_from._ptr is not None else ffi.NULL
        check(lib.mapi_transform_add_record(self._ptr, source, out))
        values = dict(record or {})
        values.update(fields)
        set_fields(out[0], values)


def _describe(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}"


def endpoint(name: str) -> Callable[[F], F]:
    """Registers `fn(call: EndpointCall) -> None` as endpoint plugin `name`."""

    def register(fn: F) -> F:
        def run(call: Any, _user_data: Any) -> int:
            try:
                fn(EndpointCall(call))
                return int(lib.MAPI_OK)
            except BaseException as e:  # noqa: BLE001 - becomes rejections, never a crash
                lib.mapi_call_set_error(call, _describe(e).encode("utf-8", "replace"))
                return ENDPOINT_FAILED

        callback = ffi.callback("mapi_endpoint_fn", run, error=ENDPOINT_FAILED)
        check(lib.mapi_register_endpoint(name.encode(), callback, ffi.NULL))
        _KEEP.append(callback)
        return fn

    return register


def transformation(name: str) -> Callable[[F], F]:
    """Registers `fn(call: TransformCall) -> None` as transformation operator `name`."""

    def register(fn: F) -> F:
        def run(call: Any, _user_data: Any) -> int:
            try:
                fn(TransformCall(call))
                return int(lib.MAPI_OK)
            except BaseException as e:  # noqa: BLE001
                lib.mapi_transform_set_error(call, _describe(e).encode("utf-8", "replace"))
                return ENDPOINT_FAILED

        callback = ffi.callback("mapi_transformation_fn", run, error=ENDPOINT_FAILED)
        check(lib.mapi_register_transformation(name.encode(), callback, ffi.NULL))
        _KEEP.append(callback)
        return fn

    return register


def condition(name: str) -> Callable[[F], F]:
    """Registers `fn(record: dict, field: str, value) -> bool` as condition operator `name`."""

    def register(fn: F) -> F:
        def run(record: Any, field: Any, value_json: Any, _user_data: Any) -> int:
            try:
                passed = fn(record_to_dict(record), ffi.string(field).decode(), json.loads(ffi.string(value_json).decode()))
                return 1 if passed else 0
            except BaseException:  # noqa: BLE001 - a failing condition, logged by the library
                return -1

        callback = ffi.callback("mapi_condition_fn", run, error=-1)
        check(lib.mapi_register_condition(name.encode(), callback, ffi.NULL))
        _KEEP.append(callback)
        return fn

    return register
