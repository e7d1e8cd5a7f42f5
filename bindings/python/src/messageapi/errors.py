"""Errors: one MessageAPIError subclass per status of the C ABI, carrying the library's message."""

from __future__ import annotations

import builtins

from ._ffi import ffi, lib, text


class MessageAPIError(Exception):
    """A failed call: `status` is the C ABI status, `message` the library's explanation."""

    status: int = -1

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status

    @property
    def status_name(self) -> str:
        return text(lib.mapi_status_name(self.status))


class NullArgumentError(MessageAPIError):
    status = lib.MAPI_ERR_NULL_ARGUMENT


class InvalidArgumentError(MessageAPIError):
    status = lib.MAPI_ERR_INVALID_ARGUMENT


class UnknownFieldError(MessageAPIError, KeyError):
    status = lib.MAPI_ERR_UNKNOWN_FIELD

    def __str__(self) -> str:
        return self.message


class UnknownConditionError(MessageAPIError, KeyError):
    status = lib.MAPI_ERR_UNKNOWN_CONDITION

    def __str__(self) -> str:
        return self.message


class TypeMismatchError(MessageAPIError, TypeError):
    status = lib.MAPI_ERR_TYPE_MISMATCH


class NullValueError(MessageAPIError):
    status = lib.MAPI_ERR_NULL_VALUE


class OutOfRangeError(MessageAPIError):
    status = lib.MAPI_ERR_OUT_OF_RANGE


class BufferTooSmallError(MessageAPIError):
    status = lib.MAPI_ERR_BUFFER_TOO_SMALL


class ManifestError(MessageAPIError):
    status = lib.MAPI_ERR_MANIFEST


class IoError(MessageAPIError, OSError):
    status = lib.MAPI_ERR_IO


class UnknownPluginError(MessageAPIError):
    status = lib.MAPI_ERR_UNKNOWN_PLUGIN


class JsonError(MessageAPIError, ValueError):
    status = lib.MAPI_ERR_JSON


class TimeoutError(MessageAPIError, builtins.TimeoutError):  # noqa: A001 - the library's name
    status = lib.MAPI_ERR_TIMED_OUT


class EndpointError(MessageAPIError):
    status = lib.MAPI_ERR_ENDPOINT


class KafkaError(MessageAPIError):
    status = lib.MAPI_ERR_KAFKA


class PanicError(MessageAPIError):
    status = lib.MAPI_ERR_PANIC


class TooLateError(MessageAPIError):
    """`configure` after the first session opened: the configuration is fixed by then."""

    status = lib.MAPI_ERR_TOO_LATE


class NotAllowedError(MessageAPIError, PermissionError):
    """What the host has not allowed: a native library outside `native-plugin-dirs`, a setting
    that loads code, a path outside `confine-paths`. The message says how to allow it."""

    status = lib.MAPI_ERR_NOT_ALLOWED


class ValidationError(MessageAPIError, ValueError):
    """A message that does not fit the schema: `errors` lists each problem with its field."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


_BY_STATUS: dict[int, type[MessageAPIError]] = {
    cls.status: cls
    for cls in (
        NullArgumentError, InvalidArgumentError, UnknownFieldError, UnknownConditionError, TypeMismatchError,
        NullValueError, OutOfRangeError, BufferTooSmallError, ManifestError, IoError, UnknownPluginError,
        JsonError, TimeoutError, EndpointError, KafkaError, PanicError, TooLateError,
        NotAllowedError,
    )
}


def last_error() -> str:
    """This thread's most recent library error message."""
    n = lib.mapi_last_error(ffi.NULL, 0)
    buf = ffi.new("char[]", n + 1)
    lib.mapi_last_error(buf, n + 1)
    return str(ffi.string(buf).decode("utf-8", "replace"))


def check(status: int) -> None:
    """Raises the error for a failed status."""
    if status != lib.MAPI_OK:
        raise error_for(status, last_error())


def error_for(status: int, message: str) -> MessageAPIError:
    return _BY_STATUS.get(status, MessageAPIError)(message, status)
