"""Plug-ins written in Python."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

import messageapi as mapi

calls: dict[str, int] = {}


@mapi.endpoint("py-summary")
def summary(call: mapi.EndpointCall) -> None:
    state = call.state
    state["calls"] = (state.get("calls") or 0) + 1
    temps = [r["temp"] for r in call.records_by_transformation("fahrenheit")]
    call.add(count=len(temps), mean=sum(temps) / len(temps) if temps else 0.0, calls=state["calls"],
             label=call.parameters["label"])
    for r in call.records:
        if r["temp"] is not None and r["temp"] < -50:
            call.reject(r, "implausible temperature")


@mapi.transformation("py-fahrenheit")
def fahrenheit(call: mapi.TransformCall) -> None:
    for r in call.input("in"):
        call.add(temp=r["temp"] * 9 / 5 + 32 if r["temp"] is not None else None)


@mapi.condition("py-multiple-of")
def multiple_of(record: dict[str, Any], field: str, value: Any) -> bool:
    return bool(record[field] % value == 0)


@mapi.endpoint("py-broken")
def broken(call: mapi.EndpointCall) -> None:
    raise RuntimeError("sensor offline")


@mapi.endpoint("py-slow")
def slow(call: mapi.EndpointCall) -> None:
    time.sleep(0.5)


MANIFEST = {
    "fields": [{"id": "station", "type": "string", "required": True}, {"id": "temp", "type": "double", "required": False},
               {"id": "n", "type": "integer", "required": False}],
    "conditions": [{"id": "even", "type": "comparison", "operator": "py-multiple-of", "field": "n"}],
    "collections": [{"id": "obs", "fields": ["station", "temp", "n"]}],
    "transformations": [{"id": "fahrenheit", "operator": "py-fahrenheit", "records": {"in": {"COLLECTION": "obs"}}}],
    "endpoints": [
        {"plugin": "py-summary", "connections": [{"id": "summary", "collections": ["obs"], "transformations": ["fahrenheit"],
         "constructor": {"label": "daily", "default-fields": [
             {"id": "count", "type": "integer"}, {"id": "mean", "type": "double"}, {"id": "calls", "type": "integer"},
             {"id": "label", "type": "string"}],
             "state-container": [{"id": "calls", "type": "integer"}]}}]},
        {"plugin": "py-broken", "connections": [{"id": "sink", "collections": ["obs"]}]},
    ],
}


def test_python_endpoint_transformation_and_condition() -> None:
    session = mapi.Session.from_json(MANIFEST)
    req = session.request()
    req.add(station="KILX", temp=20.0, n=2, conditions={"even": 2})
    req.add(station="KORD", temp=30.0, n=3, conditions={"even": 2})
    req.add(station="KMDW", temp=-60.0, n=4)
    resp = req.submit()
    assert resp.records == [{"count": 2, "mean": (68.0 - 76.0) / 2, "calls": 1, "label": "daily"}]
    reasons = [r.reasons[0] for r in resp.rejections]
    assert reasons[0] == "The record fields were invalidated against specified conditions."
    assert "implausible temperature" in reasons
    assert reasons.count("connection sink: RuntimeError: sensor offline") == 2
    # stream mode: the state persists
    assert req.submit().records[0]["calls"] == 2
    assert session.request().submit().records[0]["calls"] == 1


def test_wait_times_out_and_the_response_completes_later() -> None:
    session = mapi.Session.from_json({"fields": [], "collections": [], "endpoints": [{"plugin": "py-slow", "connections": [{"id": "s"}]}]})
    resp = session.request().submit()
    with pytest.raises(mapi.TimeoutError):
        resp.wait(timeout=0.05)
    with pytest.raises(TimeoutError):  # also the builtin
        resp.wait(timeout=0.01)
    assert resp.wait(timeout=10).done


def test_plugins_run_while_other_python_threads_wait() -> None:
    session = mapi.Session.from_json(MANIFEST)
    results: list[int] = []

    def worker() -> None:
        req = session.request()
        req.add(station="K", temp=1.0, n=2)
        results.append(len(req.submit().records))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [1, 1, 1, 1]


@mapi.endpoint("py-half-done")
def half_done(call: mapi.EndpointCall) -> None:
    for r in call.records[:2]:
        call.add(station=r["station"])
    raise ValueError("disk full after two")


def test_a_python_endpoint_failing_mid_output_returns_nothing_and_rejects_every_record() -> None:
    session = mapi.Session.from_json({
        "fields": [{"id": "station", "type": "string", "required": True}],
        "collections": [{"id": "obs", "fields": ["station"]}],
        "endpoints": [{"plugin": "py-half-done", "connections": [{"id": "half", "collections": ["obs"]}]}],
    })
    req = session.request()
    for station in ("A", "B", "C"):
        req.add(station=station)
    resp = req.submit()
    assert resp.records == []
    assert [r.record["station"] for r in resp.rejections] == ["A", "B", "C"]
    assert {r.reasons[0] for r in resp.rejections} == {"connection half: ValueError: disk full after two"}


@mapi.endpoint("py-reads-then-fails")
def reads_then_fails(call: mapi.EndpointCall) -> None:
    total = sum(r["n"] for r in call.records)
    raise OSError(f"lost the disk after reading {total}")


@mapi.endpoint("py-rejects-one-then-fails")
def rejects_one_then_fails(call: mapi.EndpointCall) -> None:
    for r in call.records:
        if r["n"] == 2:
            call.reject(r, "n may not be 2")
    raise RuntimeError("gave up")


@mapi.endpoint("py-via-transformation")
def via_transformation(call: mapi.EndpointCall) -> None:
    for r in call.records_by_transformation("bad"):
        call.add(n=r["n"])


@mapi.transformation("py-bad-transformation")
def bad_transformation(call: mapi.TransformCall) -> None:
    for r in call.input("in"):
        call.add(n=r["n"])
        raise KeyError("station table")


def test_every_record_is_accounted_for_wherever_a_python_plugin_fails() -> None:
    """Each record routed to a failing connection comes back rejected once, naming it; a
    record the plug-in rejected itself keeps its own reason; streamed submits give the same."""
    session = mapi.Session.from_json({
        "fields": [{"id": "n", "type": "integer", "required": True}],
        "collections": [{"id": "c", "fields": ["n"]}],
        "transformations": [{"id": "bad", "operator": "py-bad-transformation", "records": {"in": {"COLLECTION": "c"}}}],
        "endpoints": [
            {"plugin": "py-broken", "connections": [{"id": "before", "collections": ["c"]}]},
            {"plugin": "py-reads-then-fails", "connections": [{"id": "after", "collections": ["c"]}]},
            {"plugin": "py-rejects-one-then-fails", "connections": [{"id": "rejone", "collections": ["c"]}]},
            {"plugin": "py-via-transformation", "connections": [{"id": "via", "transformations": ["bad"]}]},
            {"plugin": "evaluation", "connections": [{"id": "fine", "collections": ["c"]}]},
        ],
    })
    req = session.request()
    for n in (1, 2, 3, 4):
        req.add(n=n)
    req.add()  # no n: a validation rejection, routed nowhere
    for _ in range(2):
        resp = req.submit()
        assert sorted(r["n"] for r in resp.records) == [1, 2, 3, 4]
        counts: dict[str, list[int | None]] = {}
        for rej in resp.rejections:
            assert len(rej.reasons) == 1
            counts.setdefault(rej.reasons[0], []).append(rej.record["n"])
        assert counts == {
            "Required field n was missing a value.": [None],
            "connection before: RuntimeError: sensor offline": [1, 2, 3, 4],
            "connection after: OSError: lost the disk after reading 10": [1, 2, 3, 4],
            "n may not be 2": [2],
            "connection rejone: RuntimeError: gave up": [1, 3, 4],
            "connection via: transformation bad failed: KeyError: 'station table'": [1, 2, 3, 4],
        }


def test_runtime_parameters_are_checked_when_set() -> None:
    session = mapi.Session.from_json({
        "fields": [{"id": "station", "type": "string", "required": True}],
        "collections": [{"id": "obs", "fields": ["station"]}],
        "endpoints": [{"plugin": "evaluation", "connections": [{"id": "e", "collections": ["obs"]}]},
                      {"plugin": "py-half-done", "connections": [{"id": "half", "collections": ["obs"]}]}],
    })
    req = session.request()
    with pytest.raises(mapi.InvalidArgumentError, match='connection e: parameter "k": the evaluation endpoint'):
        req.set_parameter("e", "k", 1)
    req.set_parameter("half", "anything", [1, 2])  # a Python plug-in reads its own parameters
