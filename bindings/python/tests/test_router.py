"""messageapi.router: superset dispatch, in-process and through a broker."""

from __future__ import annotations

import time
from typing import Any

import pytest

from messageapi.router import Router, matches, on_message


def test_superset_matching() -> None:
    assert matches({"kind": "obs"}, {"kind": "obs", "temp": 1})
    assert matches({}, {"anything": 1})
    assert not matches({"kind": "obs"}, {"kind": "alert"})
    assert not matches({"kind": "obs", "station": "KILX"}, {"kind": "obs"})
    assert not matches({"n": 1}, {"n": "1"})


def test_in_process_dispatch_calls_every_matching_handler_with_keywords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAPI_KAFKA_BOOTSTRAP", raising=False)
    seen: list[tuple[str, dict[str, Any]]] = []
    router = Router("weather")
    assert not router.uses_broker

    @router.on_message(kind="obs")
    def any_obs(**message: Any) -> None:
        seen.append(("obs", message))

    @router.on_message(kind="obs", station="KILX")
    def kilx(kind: str, station: str, **rest: Any) -> None:
        seen.append(("kilx", {"kind": kind, "station": station, **rest}))

    class Alerts:
        def __init__(self) -> None:
            self.got: list[dict[str, Any]] = []

        @on_message(kind="alert")
        def alert(self, **message: Any) -> None:
            self.got.append(message)

        def not_a_handler(self) -> None:
            raise AssertionError("never called")

    alerts = Alerts()
    router.register(alerts)
    router.send_message(kind="obs", station="KILX", temp=21.5)
    router.send_message(kind="obs", station="KORD", temp=3)
    router.send_message(kind="alert", level=2)
    router.send_message(kind="other")
    assert seen == [
        ("obs", {"kind": "obs", "station": "KILX", "temp": 21.5}),
        ("kilx", {"kind": "obs", "station": "KILX", "temp": 21.5}),
        ("obs", {"kind": "obs", "station": "KORD", "temp": 3}),
    ]
    assert alerts.got == [{"kind": "alert", "level": 2}]
    assert router.poll(0.1) == 0
    with pytest.raises(ValueError):
        router.register(object())


def test_dispatch_through_a_broker(broker: Any) -> None:
    broker.create_topic("routes")
    got: list[dict[str, Any]] = []
    with Router("routes", bootstrap=broker.bootstrap) as router:
        assert router.uses_broker

        @router.on_message(kind="obs")
        def handler(**message: Any) -> None:
            got.append(message)

        router.send_message(kind="obs", n=1)
        router.send_message(kind="skip", n=2)
        router.send_message(kind="obs", n=3)
        deadline = time.time() + 30
        arrived = 0
        while arrived < 3 and time.time() < deadline:
            arrived += router.poll(2.0)
    assert got == [{"kind": "obs", "n": 1}, {"kind": "obs", "n": 3}]
