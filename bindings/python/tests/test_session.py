"""Sessions, requests and responses from Python: values, rejections, errors, validation."""

from __future__ import annotations

import datetime as dt
import json
import struct
from pathlib import Path

import pytest

import messageapi as mapi

TYPES = {
    "fields": [
        {"id": "s", "type": "string", "required": True},
        {"id": "i", "type": "integer", "required": False},
        {"id": "f", "type": "float", "required": False},
        {"id": "d", "type": "double", "required": False},
        {"id": "b", "type": "boolean", "required": False},
        {"id": "t", "type": "datetime", "required": False},
        {"id": "li", "type": "list(int)", "required": False},
        {"id": "ld", "type": "list(double)", "required": False},
        {"id": "ls", "type": "list(string)", "required": False},
        {"id": "j", "type": "json", "required": False},
    ],
    "conditions": [{"id": "i-below", "type": "comparison", "operator": "<", "field": "i"}],
    "collections": [{"id": "all", "fields": ["s", "i", "f", "d", "b", "t", "li", "ld", "ls", "j"]}],
    "endpoints": [{"plugin": "evaluation", "connections": [{"id": "back", "collections": ["all"]}]}],
}


def test_every_value_type_round_trips() -> None:
    with mapi.Session.from_json(TYPES) as session:
        req = session.request()
        when = dt.datetime(2019, 5, 6, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
        req.add(s="KILX \u00e9 \"q\"", i=2**62, f=0.1, d=-1.5e300, b=True, t=when, li=[1, -2], ld=[0.5, 1], ls=["a", "b"],
                j={"nested": [1, None, "x"]})
        req.add({"s": "naive", "t": dt.datetime(2020, 1, 2, 3, 4, 5)})
        records = req.submit().wait(10).records
        assert records[0] == {
            "s": "KILX \u00e9 \"q\"", "i": 2**62, "f": struct.unpack("f", struct.pack("f", 0.1))[0], "d": -1.5e300,
            "b": True, "t": when, "li": [1, -2], "ld": [0.5, 1.0], "ls": ["a", "b"], "j": {"nested": [1, None, "x"]},
        }
        assert records[1]["t"] == dt.datetime(2020, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
        assert records[1]["i"] is None
        assert [f.name for f in session.fields][:3] == ["s", "i", "f"]
        assert session.fields[0] == mapi.Field("s", "string", True)


def test_rejections_come_with_their_exact_reasons() -> None:
    session = mapi.Session.from_json(TYPES)
    req = session.request()
    req.add(i=1)
    req.add(s="fails", i=10, conditions={"i-below": 5})
    req.add(s="passes", i=1, conditions={"i-below": 5})
    resp = req.submit()
    assert [r["s"] for r in resp.records] == ["passes"]
    assert [r.reasons for r in resp.rejections] == [
        ["Required field s was missing a value."],
        ["The record fields were invalidated against specified conditions."],
    ]
    assert resp.rejections[1].record["s"] == "fails"


def test_submit_with_clear_moves_the_batch_and_empties_the_request() -> None:
    with mapi.Session.from_json(TYPES) as session, session.request() as req:
        req.add(s="a", i=1)
        req.add(s="b", i=2)
        first = req.submit(clear=True)
        assert len(req) == 0
        req.add(s="c", i=3)
        second = req.submit()
        assert len(req) == 1
        assert [(r["s"], r["i"]) for r in first.wait(10).records] == [("a", 1), ("b", 2)]
        assert [r["s"] for r in second.wait(10).records] == ["c"]


def test_errors_are_named_after_the_status_and_leave_nothing_half_done(tmp_path: Path) -> None:
    session = mapi.Session.from_json(TYPES)
    req = session.request()
    with pytest.raises(mapi.UnknownFieldError, match='unknown field "nope"'):
        req.add(s="x", nope=1)
    with pytest.raises(mapi.TypeMismatchError, match='field "i" is integer, cannot take JSON string'):
        req.add(s="x", i="seven")
    with pytest.raises(mapi.UnknownConditionError):
        req.add(s="x", conditions={"zz": 1})
    assert len(req) == 0, "a failed add adds nothing"
    with pytest.raises(mapi.JsonError, match="line 2"):
        req.add_json_lines('{"s": "a"}\n{"s": ')
    assert req.add_json_lines('{"s": "a"}\n\n{"s": "b", "li": [3]}\n') == 2
    assert len(req) == 2
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"fields": [{"id": "a", "type": "decimal"}], "collections": [], "endpoints": []}))
    with pytest.raises(mapi.ManifestError, match=r"bad\.json: fields\[0\]\.type: unknown type \"decimal\""):
        mapi.Session(bad)
    with pytest.raises(mapi.IoError, match="No such file"):
        mapi.Session(tmp_path / "absent.json")
    with pytest.raises(mapi.MessageAPIError) as e:
        mapi.Session(tmp_path / "absent.json")
    assert e.value.status_name == "MAPI_ERR_IO"


def test_validation_reports_each_field_and_reason() -> None:
    session = mapi.Session.from_json(TYPES)
    assert session.validate({"s": "ok", "i": 3}) == []
    assert session.validate({"s": 5, "i": "x"}) == [
        's: field "s" is string, cannot take JSON number',
        'i: field "i" is integer, cannot take JSON string',
    ]
    assert session.validate({"i": 3}) == ["Required field s was missing a value."]
    assert session.validate({"s": "x", "i": 9}, conditions={"i-below": 5}) == [
        "The record fields were invalidated against specified conditions."
    ]
    with pytest.raises(mapi.ValidationError) as e:
        session.check({"s": "x", "zz": 1})
    assert e.value.errors == ['zz: unknown field "zz"']


def test_file_writer_and_request_conditions(tmp_path: Path) -> None:
    manifest = {
        "fields": [{"id": "station", "type": "string", "required": True}, {"id": "temp", "type": "double", "required": False}],
        "conditions": [{"id": "warm", "type": "comparison", "operator": ">", "field": "temp"}],
        "collections": [{"id": "warm-obs", "fields": ["station", "temp"], "conditions": ["warm"]}],
        "endpoints": [{"plugin": "file-writer", "connections": [{"id": "out", "collections": ["warm-obs"],
                       "constructor": {"path": str(tmp_path / "out.jsonl")}}]}],
    }
    session = mapi.Session.from_json(manifest)
    req = session.request()
    req.set_condition("warm", 20.0)
    req.add(station="KILX", temp=25.0)
    req.add(station="KORD", temp=-3.0)
    resp = req.submit()
    assert [r["station"] for r in resp.records] == ["KILX"]
    assert (tmp_path / "out.jsonl").read_text() == '{"station":"KILX","temp":25.0}\n'


def test_dead_letters_and_statistics(tmp_path: Path) -> None:
    manifest = dict(TYPES)
    manifest["dead-letters"] = {"plugin": "file-writer", "constructor": {"path": str(tmp_path / "dead.jsonl")}}
    with mapi.Session.from_json(manifest) as session:
        req = session.request()
        req.add(i=1)
        req.add(s="fails", i=10, conditions={"i-below": 5})
        req.add(s="passes", i=1, conditions={"i-below": 5})
        resp = req.submit()
        assert [(r.stage, r.connection) for r in resp.rejections] == [("required", None), ("condition", None)]
        dead = [json.loads(line) for line in (tmp_path / "dead.jsonl").read_text().splitlines()]
        assert [(d["stage"], d["reasons"], d["connection"]) for d in dead] == [
            ("required", ["Required field s was missing a value."], None),
            ("condition", ["The record fields were invalidated against specified conditions."], None),
        ]
        assert dead[1]["record"]["s"] == "fails"
        stats = session.stats()
        assert stats["records_submitted"] == 3
        assert stats["records_accepted"] == 1
        assert stats["records_rejected"] == {"required": 1, "condition": 1, "endpoint": 0, "internal": 0}
        assert stats["records_returned"] == 1
        assert stats["records_dead_lettered"] == 2
        assert [(c["id"], c["records_routed"], c["dead_letter"]) for c in stats["connections"]] == [
            ("back", 1, False), ("dead-letters", 2, True)]
        text = session.stats_prometheus()
        assert "messageapi_records_dead_lettered_total 2\n" in text
        assert 'messageapi_records_rejected_total{stage="required"} 1\n' in text
