"""messageapi: typed records through a declarative pipeline (MessageAPI manifests) to files,
Kafka or plug-in code, over the library's C ABI (cffi).

    import messageapi as mapi
    with mapi.Session("manifest.json") as session:
        req = session.request()
        req.add({"station": "KILX", "temp": 21.5}, conditions={"temp-above": 0.0})
        resp = req.submit()
        resp.wait(timeout=10.0)
        resp.records, resp.rejections
"""

from ._ffi import lib as _lib, text as _text
from ._logging import install as _install_logging
from .core import Field, Rejection, Request, Response, Session, check_manifest, configuration, configure
from .errors import (
    BufferTooSmallError,
    EndpointError,
    InvalidArgumentError,
    IoError,
    JsonError,
    KafkaError,
    ManifestError,
    MessageAPIError,
    NullArgumentError,
    NullValueError,
    OutOfRangeError,
    PanicError,
    TimeoutError,
    TooLateError,
    NotAllowedError,
    TypeMismatchError,
    UnknownConditionError,
    UnknownFieldError,
    UnknownPluginError,
    ValidationError,
)
from .plugins import EndpointCall, Record, State, TransformCall, condition, endpoint, transformation

__version__: str = _text(_lib.mapi_version())
_install_logging()

__all__ = [
    "BufferTooSmallError", "EndpointCall", "EndpointError", "Field", "InvalidArgumentError", "IoError", "JsonError",
    "KafkaError", "ManifestError", "MessageAPIError", "NullArgumentError", "NullValueError", "OutOfRangeError",
    "PanicError", "Record", "Rejection", "Request", "Response", "Session", "State", "TimeoutError", "TooLateError", "NotAllowedError",
    "TransformCall",
    "TypeMismatchError", "UnknownConditionError", "UnknownFieldError", "UnknownPluginError", "ValidationError",
    "check_manifest", "condition", "configuration", "configure", "endpoint", "transformation",
]
