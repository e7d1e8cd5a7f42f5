"""Fixtures: a tansu Kafka broker on a free 127.0.0.1 port (skipped without tansu unless
MAPI_KAFKA_TESTS=required, as the test command sets)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Callable, Iterator

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
            pytest.fail("tansu is not installed (scripts/lib/install-deps.sh installs it)")
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


class Rabbit:
    """A throwaway RabbitMQ node (Debian's rabbitmq-server run directly, as tests/common/rabbit.rs
    does): its own HOME, database, logs, node name and ports on 127.0.0.1, no plug-ins, and an
    epmd of its own on its own port."""

    SBIN = Path("/usr/lib/rabbitmq/bin")

    def __init__(self, tmp: Path) -> None:
        def port() -> int:
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            p: int = s.getsockname()[1]
            s.close()
            return p

        self.port = port()
        self.node = f"mapi-{self.port}@localhost"
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}/%2f"
        for d in ("home", "mnesia", "log"):
            (tmp / d).mkdir(parents=True, exist_ok=True)
        (tmp / "enabled_plugins").write_text("[].\n")
        self.env = {**os.environ, "HOME": str(tmp / "home"), "RABBITMQ_MNESIA_BASE": str(tmp / "mnesia"),
                    "RABBITMQ_LOG_BASE": str(tmp / "log"), "RABBITMQ_NODENAME": self.node,
                    "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1", "RABBITMQ_NODE_PORT": str(self.port),
                    "RABBITMQ_DIST_PORT": str(port()), "RABBITMQ_ENABLED_PLUGINS_FILE": str(tmp / "enabled_plugins"),
                    "RABBITMQ_CONFIG_FILE": str(tmp / "rabbitmq"), "ERL_EPMD_PORT": str(port())}
        # An epmd of its own, on its own port, stopped with the node.
        self.epmd = subprocess.Popen(["epmd", "-port", self.env["ERL_EPMD_PORT"]], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.log = open(tmp / "server.out", "w")
        self.process = subprocess.Popen([str(self.SBIN / "rabbitmq-server")], env=self.env, cwd=tmp,
                                        stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while subprocess.run([str(self.SBIN / "rabbitmqctl"), "-n", self.node, "await_startup", "--timeout", "30"],
                             env=self.env, capture_output=True).returncode != 0:
            if time.time() > deadline:
                raise RuntimeError("RabbitMQ did not start: " + (tmp / "server.out").read_text())
            time.sleep(0.5)

    def stop(self) -> None:
        subprocess.run([str(self.SBIN / "rabbitmqctl"), "-n", self.node, "shutdown"], env=self.env, capture_output=True)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        self.epmd.kill()
        self.epmd.wait()


@pytest.fixture
def rabbit(tmp_path: Path) -> Iterator[Rabbit]:
    if not (Rabbit.SBIN / "rabbitmq-server").exists():
        if os.environ.get("MAPI_AMQP_TESTS") == "required":
            pytest.fail("rabbitmq-server is not installed (scripts/lib/install-deps.sh installs it)")
        pytest.skip("rabbitmq-server is not installed")
    r = Rabbit(tmp_path / "rabbit")
    try:
        yield r
    finally:
        r.stop()


@pytest.fixture
def kafka_values() -> Callable[[str, str, int], list[bytes]]:
    """Reads `n` message values of a topic from the beginning with kafka-python (an independent
    client), waiting up to 30 s; returns what it read (fewer when fewer came)."""

    def read(bootstrap: str, topic: str, n: int) -> list[bytes]:
        from kafka import KafkaConsumer

        consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                 enable_auto_commit=False, consumer_timeout_ms=1000)
        out: list[bytes] = []
        deadline = time.time() + 30
        while len(out) < n and time.time() < deadline:
            out.extend(m.value for m in consumer)
        consumer.close()
        return out

    return read
