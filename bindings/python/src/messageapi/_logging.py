"""Library log messages go to Python logging (logger "messageapi")."""

from __future__ import annotations

import atexit
import logging
from typing import Any

from ._ffi import ffi, lib

logger = logging.getLogger("messageapi")
_LEVELS = {1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO, 4: logging.DEBUG}


def _log(level: int, message: Any, _user_data: Any) -> None:
    logger.log(_LEVELS.get(level, logging.INFO), ffi.string(message).decode("utf-8", "replace"))


_on_log = ffi.callback("mapi_log_fn", _log)


def install() -> None:
    lib.mapi_set_log_callback(_on_log, ffi.NULL)
    # Worker threads must not call into a finalising interpreter.
    atexit.register(lambda: lib.mapi_set_log_callback(ffi.NULL, ffi.NULL))
