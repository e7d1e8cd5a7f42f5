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
    status = 1


class InvalidArgumentError(MessageAPIError):
    status = 2


class UnknownFieldError(MessageAPIError, KeyError):
    status = 3

    def __str__(self) -> str:
        return self.message


class UnknownConditionError(MessageAPIError, KeyError):
    status = 4

    def __str__(self) -> str:
        return self.message


class TypeMismatchError(MessageAPIError, TypeError):
    status = 5


class NullValueError(MessageAPIError):
    status = 6


class OutOfRangeError(MessageAPIError):
    status = 7


class BufferTooSmallError(MessageAPIError):
    status = 8


class ManifestError(MessageAPIError):
    status = 9


class IoError(MessageAPIError, OSError):
    status = 10


class UnknownPluginError(MessageAPIError):
    status = 11


class JsonError(MessageAPIError, ValueError):
    status = 12


class TimeoutError(MessageAPIError, builtins.TimeoutError):  # noqa: A001 - the library's name
    status = 13


class EndpointError(MessageAPIError):
    status = 14


class KafkaError(MessageAPIError):
    status = 15


class PanicError(MessageAPIError):
    status = 16


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
        JsonError, TimeoutError, EndpointError, KafkaError, PanicError,
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
    if status != 0:
        raise error_for(status, last_error())


def error_for(status: int, message: str) -> MessageAPIError:
    return _BY_STATUS.get(status, MessageAPIError)(message, status)
