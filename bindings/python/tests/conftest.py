"""Fixtures: a tansu Kafka broker on a free 127.0.0.1 port (skipped without tansu unless
MAPI_KAFKA_TESTS=required, as the test command sets)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest


def _tansu() -> str | None:
    explicit = os.environ.get("MAPI_TANSU")
    if explicit:
        return explicit
    found = shutil.which("tansu")
    if found:
        return found
    home = Path.home() / ".cargo" / "bin" / "tansu"
    return str(home) if home.exists() else None


class Broker:
    def __init__(self, binary: str) -> None:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.binary = binary
        self.bootstrap = f"127.0.0.1:{self.port}"
        url = f"tcp://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [binary, "broker", "--listener-url", url, "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "RUST_LOG": "error"},
        )
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError("tansu did not start")
                time.sleep(0.05)

    def create_topic(self, name: str, partitions: int = 1) -> None:
        subprocess.run([self.binary, "topic", "create", "--broker", f"tcp://127.0.0.1:{self.port}", "--partitions",
                        str(partitions), name], check=True, capture_output=True)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture
def broker() -> Iterator[Broker]:
    binary = _tansu()
    if binary is None:
        if os.environ.get("MAPI_KAFKA_TESTS") == "required":
            pytest.fail("tansu is not installed (scripts/install-deps.sh installs it)")
        pytest.skip("tansu is not installed")
    b = Broker(binary)
    try:
        yield b
    finally:
        b.stop()


@pytest.fixture
def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port: int = s.getsockname()[1]
    s.close()
    return port
