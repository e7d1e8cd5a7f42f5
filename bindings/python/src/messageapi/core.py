"""Sessions, requests and responses."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Any, Mapping, Optional, TypeVar, Union

from ._ffi import ffi, lib
from ._values import record_to_dict, set_conditions, set_fields, to_json
from .errors import TimeoutError, ValidationError, check, error_for, last_error

PathLike = Union[str, "os.PathLike[str]"]

_TYPE_NAMES = ["string", "integer", "float", "double", "boolean", "datetime", "list(int)", "list(double)", "list(string)", "json"]


@dataclass(frozen=True)
class Field:
    """A schema field."""

    name: str
    type: str
    required: bool


@dataclass(frozen=True)
class Rejection:
    """A record that did not make it, with its reasons, where it was rejected ("required",
    "condition", "endpoint" or "internal") and by which connection (endpoint rejections)."""

    record: dict[str, Any]
    reasons: list[str]
    stage: str = "endpoint"
    connection: Optional[str] = None


def _copy_text(fn: Any, handle: Any) -> str:
    """Text from a C function taking a handle and the buffer/needed-length convention."""
    return _copy_text_fn(lambda buf, cap, n: fn(handle, buf, cap, n))


def _copy_text_fn(fn: Any) -> str:
    """Text from `fn(buf, cap, len_out)` with the buffer/needed-length convention (the text may
    grow between the two calls: statistics do)."""
    n = ffi.new("size_t *")
    size = 8192
    while True:
        buf = ffi.new("char[]", size)
        status = fn(buf, size, n)
        if status != lib.MAPI_ERR_BUFFER_TOO_SMALL:
            check(status)
            text: str = ffi.string(buf, n[0]).decode()
            return text
        size = n[0] + 1 + 1024


def configure(**options: Any) -> None:
    """Sets the process configuration before the first session opens (then it is fixed, and a
    later call raises TooLateError, changing nothing). Keyword arguments are the C keys with
    underscores: `workers` (0 runs every submit, callbacks included, on the calling thread,
    before `submit` returns), `max_workers`, `stack_bytes` (an int or a text such as "64M"),
    `native_plugin_dirs` (the directories a manifest may load native code from; default none)
    and `confine_paths` (the directories every file a manifest or record names must be in;
    default: not confined), each an absolute path or a list of them.
    Unknown names and bad values raise InvalidArgumentError naming them; the environment
    variables MAPI_WORKERS, MAPI_MAX_WORKERS, MAPI_STACK_BYTES, MAPI_NATIVE_PLUGIN_PATH and
    MAPI_CONFINE_PATHS fill in what is not set."""
    options = {name: os.fspath(v) if isinstance(v, os.PathLike) else v for name, v in options.items()}
    for name in ("native_plugin_dirs", "confine_paths"):
        if isinstance(options.get(name), (list, tuple)):
            options[name] = [os.fspath(p) for p in options[name]]
    settings = {name.replace("_", "-"): value for name, value in options.items()}
    check(lib.mapi_configure(json.dumps(settings).encode()))


def configuration() -> dict[str, Any]:
    """The configuration in effect, every key decided (this fixes it, as opening a session
    does): {"workers": ..., "max-workers": ..., "stack-bytes": ..., "native-plugin-dirs": [...],
    "confine-paths": [...] or None}."""
    result: dict[str, Any] = json.loads(_copy_text_fn(lib.mapi_configuration))
    return result


def check_manifest(manifest: PathLike, root: Optional[PathLike] = None) -> None:
    """Checks a manifest as opening it would, loading no native library, reading no `${env:}`
    or `${file:}` secret and connecting nowhere (what `mapi check` does). Raises what opening
    would raise (NotAllowedError for what the host has not allowed)."""
    root_arg = os.fsencode(root) if root is not None else ffi.NULL
    check(lib.mapi_session_check(os.fsencode(manifest), root_arg))


class _Handle:
    """A library handle freed by `close()` (or when collected); a context manager that closes
    it on exit. Subclasses hold it in `_ptr` (a cffi pointer with its destructor attached)."""

    _ptr: Any

    def __enter__(self: _H) -> _H:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Frees the handle now (closing twice is harmless)."""
        if self._ptr is not None:
            ffi.release(self._ptr)
            self._ptr = None


_H = TypeVar("_H", bound=_Handle)


class Session(_Handle):
    """A session opened from a manifest (full form or parameter map). Usable as a context manager.

    `root` is the expansion of `{}` in paths (default: MESSAGEAPI_ROOT, else the manifest's
    directory). `Session.from_json(text_or_dict, base_dir)` opens a manifest given as JSON.
    """

    def __init__(self, manifest: PathLike, root: Optional[PathLike] = None) -> None:
        out = ffi.new("mapi_session **")
        root_arg = os.fsencode(root) if root is not None else ffi.NULL
        check(lib.mapi_session_open(os.fsencode(manifest), root_arg, out))
        self._ptr: Any = ffi.gc(out[0], lib.mapi_session_free)

    @classmethod
    def from_json(cls, manifest: Union[str, Mapping[str, Any]], base_dir: Optional[PathLike] = None) -> Session:
        text = manifest if isinstance(manifest, str) else json.dumps(manifest)
        out = ffi.new("mapi_session **")
        base = os.fsencode(base_dir) if base_dir is not None else ffi.NULL
        check(lib.mapi_session_open_json(text.encode(), base, out))
        self = cls.__new__(cls)
        self._ptr = ffi.gc(out[0], lib.mapi_session_free)
        return self

    def close(self) -> None:
        """Frees the session (requests and responses made from it stay usable)."""
        super().close()

    @property
    def fields(self) -> list[Field]:
        out = []
        for i in range(lib.mapi_session_field_count(self._ptr)):
            name = ffi.string(lib.mapi_session_field_name(self._ptr, i)).decode()
            code = lib.mapi_session_field_type(self._ptr, i)
            out.append(Field(name, _TYPE_NAMES[code] if 0 <= code < len(_TYPE_NAMES) else "?", lib.mapi_session_field_required(self._ptr, i) == 1))
        return out

    def request(self) -> Request:
        """A new request (fresh endpoint instances: batch mode)."""
        return Request(self)

    def validate(self, message: Mapping[str, Any], conditions: Optional[Mapping[str, Any]] = None) -> list[str]:
        """The problems `message` has against the schema, each naming its field (empty: valid).

        Checks field names and types, required fields, and the given condition values, as a
        submit would, without running any endpoint.
        """
        req = Request(self)
        record = req._new_record()
        errors = []
        for key, value in message.items():
            status = lib.mapi_record_set_json(record, key.encode(), to_json(value).encode())
            if status != lib.MAPI_OK:
                errors.append(f"{key}: {last_error()}")
        for key, value in (conditions or {}).items():
            status = lib.mapi_record_set_condition_json(record, key.encode(), to_json(value).encode())
            if status != lib.MAPI_OK:
                errors.append(f"condition {key}: {last_error()}")
        if not errors:
            reasons = _copy_text_fn(lambda buf, cap, n: lib.mapi_session_validate(self._ptr, record, buf, cap, n))
            errors.extend(r for r in reasons.split("\n") if r)
        req.close()
        return errors

    def stats(self) -> dict[str, Any]:
        """The session's statistics: records submitted, accepted, rejected by stage, returned
        and dead-lettered, submit latency (seconds), and per connection records routed,
        returned, rejected, endpoint errors, bytes, Kafka consumer lag and librdkafka's
        statistics (docs/statistics.md)."""
        stats: dict[str, Any] = json.loads(_copy_text(lib.mapi_session_stats_json, self._ptr))
        return stats

    def stats_prometheus(self) -> str:
        """The statistics as Prometheus text exposition (format 0.0.4, `messageapi_` names)."""
        return _copy_text(lib.mapi_session_stats_prometheus, self._ptr)

    def check(self, message: Mapping[str, Any], conditions: Optional[Mapping[str, Any]] = None) -> None:
        """Raises ValidationError (with every problem) if `message` does not fit the schema."""
        errors = self.validate(message, conditions)
        if errors:
            raise ValidationError(errors)


class Request(_Handle):
    """Records to submit. Resubmitting the same request streams (endpoint state is kept)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        out = ffi.new("mapi_request **")
        check(lib.mapi_request_new(session._ptr, out))
        self._ptr: Any = ffi.gc(out[0], lib.mapi_request_free)

    def close(self) -> None:
        """Frees the request. Consumers commit (Kafka) or acknowledge (AMQP) what completed
        responses returned; nothing of a response still pending."""
        super().close()

    def abandon(self) -> None:
        """Frees the request committing nothing not yet committed: the broker delivers
        those messages again. For a program that could not keep what it was given."""
        if self._ptr is not None:
            raw = ffi.cast("mapi_request *", self._ptr)
            ffi.gc(self._ptr, None)  # detaches mapi_request_free
            self._ptr = None
            lib.mapi_request_abandon(raw)

    def _new_record(self) -> Any:
        out = ffi.new("mapi_record **")
        check(lib.mapi_request_add_record(self._ptr, out))
        return out[0]

    def add(self, record: Optional[Mapping[str, Any]] = None, /, *, conditions: Optional[Mapping[str, Any]] = None, **fields: Any) -> None:
        """Adds one record from a dict and/or keyword fields, with optional condition values.
        All or nothing: on an error (unknown field, wrong type) the record is not added."""
        values = dict(record or {})
        values.update(fields)
        ptr = self._new_record()
        try:
            set_fields(ptr, values)
            set_conditions(ptr, dict(conditions or {}))
        except BaseException:
            lib.mapi_request_pop_record(self._ptr)
            raise

    def add_json_lines(self, text: str) -> int:
        """Adds records from JSON text (one object, an array, or JSON Lines); all or nothing,
        errors name the line. Returns how many were added."""
        data = text.encode()
        added = ffi.new("size_t *")
        check(lib.mapi_request_add_json(self._ptr, data, len(data), added))
        return int(added[0])

    def set_condition(self, condition_id: str, value: Any) -> None:
        """Sets a request-level condition value (collections check it)."""
        out = ffi.new("mapi_record **")
        check(lib.mapi_request_conditions(self._ptr, out))
        set_conditions(out[0], {condition_id: value})

    def set_parameter(self, connection_id: str, key: str, value: Any) -> None:
        """Overrides a connection's constructor value for later submits (runtime parameters)."""
        check(lib.mapi_request_set_parameter(self._ptr, connection_id.encode(), key.encode(), to_json(value).encode()))

    def clear(self) -> None:
        """Drops the records; endpoint state is kept."""
        check(lib.mapi_request_clear(self._ptr))

    def __len__(self) -> int:
        return int(lib.mapi_request_record_count(self._ptr))

    def submit(self, *, clear: bool = False) -> Response:
        """Submits a copy of the records and returns at once. With `clear=True` the records
        move into the submit instead (no copy) and the request is left empty, as `submit()`
        then `clear()` would leave it: the fast path for a loop that builds each batch once."""
        out = ffi.new("mapi_response **")
        if clear:
            check(lib.mapi_request_submit_and_clear(self._ptr, out))
        else:
            check(lib.mapi_request_submit(self._ptr, out))
        return Response(ffi.gc(out[0], lib.mapi_response_free))


class Response(_Handle):
    """Completes asynchronously; `records` and `rejections` wait for it."""

    def __init__(self, ptr: Any) -> None:
        self._ptr = ptr
        self._records: Optional[list[dict[str, Any]]] = None
        self._rejections: Optional[list[Rejection]] = None

    def close(self) -> None:
        """Frees the response (records and rejections read so far stay readable). A
        consumer commits (Kafka) or acknowledges (AMQP) its messages once it is complete and
        freed (closed, or collected): close it once its records are kept."""
        super().close()

    def wait(self, timeout: Optional[float] = None) -> Response:
        """Waits for completion (None: forever); raises messageapi.TimeoutError."""
        if timeout is None:
            check(lib.mapi_response_wait(self._ptr, -1))
            return self
        deadline = time.monotonic() + timeout
        while True:
            remaining_ms = max(0, int((deadline - time.monotonic()) * 1000))
            status = lib.mapi_response_wait(self._ptr, min(remaining_ms, 200))
            if status == lib.MAPI_OK:
                return self
            if status != lib.MAPI_ERR_TIMED_OUT:
                check(status)
            if remaining_ms == 0:
                raise error_for(lib.MAPI_ERR_TIMED_OUT, f"the response did not complete within {timeout} s")

    @property
    def done(self) -> bool:
        return bool(lib.mapi_response_is_complete(self._ptr))

    @property
    def records(self) -> list[dict[str, Any]]:
        """The records that came back (connection order, then endpoint order)."""
        if self._records is None:
            self.wait()
            self._records = [record_to_dict(lib.mapi_response_record(self._ptr, i)) for i in range(lib.mapi_response_record_count(self._ptr))]
        return self._records

    @property
    def rejections(self) -> list[Rejection]:
        """Required-field rejections, then condition ones, then endpoint ones."""
        if self._rejections is None:
            self.wait()
            out = []
            for i in range(lib.mapi_response_rejection_count(self._ptr)):
                reasons = [
                    ffi.string(lib.mapi_response_rejection_reason(self._ptr, i, j)).decode()
                    for j in range(lib.mapi_response_rejection_reason_count(self._ptr, i))
                ]
                conn = lib.mapi_response_rejection_connection(self._ptr, i)
                out.append(Rejection(
                    record_to_dict(lib.mapi_response_rejection_record(self._ptr, i)),
                    reasons,
                    ffi.string(lib.mapi_response_rejection_stage(self._ptr, i)).decode(),
                    None if conn == ffi.NULL else ffi.string(conn).decode(),
                ))
            self._rejections = out
        return self._rejections


__all__ = ["Field", "Rejection", "Request", "Response", "Session", "TimeoutError"]
