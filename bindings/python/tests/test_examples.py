"""The Python examples the docs show (bindings/python/examples), run as a user would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]


def test_quickstart(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(HERE.parent / "examples" / "quickstart.py"), str(REPO / "c_examples" / "quickstart.json"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "archived: 1\n"
        "rejected: Required field station was missing a value.\n"
        "rejected: The record fields were invalidated against specified conditions.\n"
    )
    assert (tmp_path / "obs.jsonl").read_text() == '{"station":"KILX","temp":21.5}\n'


def test_thoth_publish_without_a_broker_counts_nothing_delivered() -> None:
    # The docs' Thoth example, as written: with no broker on localhost:9092 the message times
    # out, is logged, and flush() counts nothing delivered (nothing raises).
    done = subprocess.run(
        [sys.executable, str(HERE.parent / "examples" / "thoth_publish.py")], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "0 delivered\n"
