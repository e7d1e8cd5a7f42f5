"""Loads libmessageapi through cffi (ABI mode) with declarations read from its own header."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import cffi  # type: ignore[import-untyped]

_HERE = Path(__file__).resolve().parent / "_lib"


def _declarations(header: str) -> str:
    """The header as cffi's cdef takes it: no preprocessor lines but integer #defines."""
    keep = []
    for line in header.splitlines():
        stripped = line.strip()
        if 'extern "C"' in stripped:
            continue
        if stripped.startswith("#"):
            if re.match(r"#define\s+MAPI_\w+\s+-?\d+\s*$", stripped):
                keep.append(stripped)
            continue
        keep.append(line)
    return "\n".join(keep)


def _header() -> str:
    for candidate in (_HERE / "messageapi.h", Path(__file__).resolve().parents[4] / "include" / "messageapi.h"):
        if candidate.exists():
            return candidate.read_text()
    raise ImportError("messageapi.h not found next to the package")


def _library_path() -> str:
    explicit = os.environ.get("MESSAGEAPI_LIB")
    if explicit:
        return explicit
    bundled = _HERE / "libmessageapi.so"
    if bundled.exists():
        return str(bundled)
    raise ImportError("libmessageapi.so is not in the package; reinstall it, or set MESSAGEAPI_LIB to a copy")


ffi: Any = cffi.FFI()
ffi.cdef(_declarations(_header()))
lib: Any = ffi.dlopen(_library_path())


def text(p: Any) -> str:
    """A borrowed C string as Python text ('' for NULL)."""
    return "" if p == ffi.NULL else str(ffi.string(p).decode("utf-8", "replace"))
