"""Seed 002 (Thoth messaging): pydantic models of message contents (`BaseMessageContents`, a
message module's `MessageContents`, `foo_bar_message.model`), publishing them to Kafka, and the
command line `--message-file` that validates them first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from thoth.messaging import (ALL_MESSAGES, BaseMessageContents, MessageBase, MessageInvalid, Producer,
                             foo_bar_message, publish_to_topic)
from thoth.messaging.foo_bar import MessageContents

GOOD = {"component_name": "investigator", "service_version": "0.1.0", "foo": "x", "bar": 1}


def test_a_message_module_has_its_contents_model_and_topic() -> None:
    assert foo_bar_message.model is MessageContents
    assert issubclass(MessageContents, BaseMessageContents)
    assert foo_bar_message.topic_name == "thoth.foo-bar"
    assert ALL_MESSAGES["thoth.foo-bar"] is foo_bar_message
    # Made directly, as the seed advises, or through the message's model: the same contents.
    direct = MessageContents(component_name="investigator", service_version="0.1.0", foo="x", bar=1)
    assert foo_bar_message.model(**GOOD) == direct
    assert foo_bar_message.validate(GOOD) == direct
    assert direct.details == {}


def test_contents_that_do_not_fit_are_refused_naming_each_field() -> None:
    with pytest.raises(MessageInvalid) as e:
        foo_bar_message.validate({"component_name": "investigator", "foo": 3, "bar": "1", "baz": True})
    problems = e.value.problems
    assert e.value.topic == "thoth.foo-bar"
    assert "service_version: Field required" in problems
    assert "foo: Input should be a valid string" in problems
    assert "bar: Input should be a valid integer" in problems
    assert "baz: Extra inputs are not permitted" in problems
    assert len(problems) == 4
    assert str(e.value).startswith("thoth.foo-bar: ")


def test_a_vague_dict_field_takes_anything_the_library_did_not_define() -> None:
    # The seed's pitfall: a `Dict[str, Any]` schema is not enforced beyond being an object.
    m = foo_bar_message.validate({**GOOD, "details": {"any": [1, {"nested": None}], "n": 2.5}})
    assert m.details == {"any": [1, {"nested": None}], "n": 2.5}
    with pytest.raises(MessageInvalid, match="details: Input should be a valid dictionary"):
        foo_bar_message.validate({**GOOD, "details": [1, 2]})


def test_a_received_value_parses_into_the_model() -> None:
    value = json.dumps(GOOD).encode()
    assert foo_bar_message.parse(value) == MessageContents(**GOOD)
    with pytest.raises(MessageInvalid, match=r"thoth.foo-bar: \(message\): not JSON"):
        foo_bar_message.parse(b"{not json")
    with pytest.raises(MessageInvalid, match=r"\(message\): expected an object, found list"):
        foo_bar_message.parse("[1]")


def test_a_users_own_message_type_registers_its_topic() -> None:
    class Contents(BaseMessageContents):
        n: int

    mine = MessageBase(base_name="test.mine", model=Contents)
    try:
        assert ALL_MESSAGES["test.mine"] is mine
        assert mine.validate({"component_name": "c", "service_version": "1", "n": "7"}).n == 7  # lax int
    finally:
        del ALL_MESSAGES["test.mine"]


def test_a_topic_prefix_from_the_environment_is_fixed_when_the_type_is_made(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THOTH_MESSAGING_TOPIC_PREFIX", "stage")
    staged = MessageBase(base_name="thoth.foo-bar", model=MessageContents, register=False)
    monkeypatch.delenv("THOTH_MESSAGING_TOPIC_PREFIX")
    assert staged.topic_name == "stage.thoth.foo-bar"
    assert "stage.thoth.foo-bar" not in ALL_MESSAGES
    assert foo_bar_message.topic_name == "thoth.foo-bar"


def test_published_contents_are_the_kafka_value(broker: Any, kafka_values: Any) -> None:
    broker.create_topic("thoth.foo-bar")
    with Producer(broker.bootstrap) as producer:
        for i in range(50):
            publish_to_topic(producer, foo_bar_message, {**GOOD, "bar": i})
        with pytest.raises(MessageInvalid):
            publish_to_topic(producer, foo_bar_message, {**GOOD, "bar": "many"})
        assert producer.flush() == 50
    values = kafka_values(broker.bootstrap, "thoth.foo-bar", 50)
    assert sorted(foo_bar_message.parse(v).bar for v in values) == list(range(50))
    assert json.loads(values[0]) == {**GOOD, "bar": 0, "details": {}}


def test_a_broker_that_is_down_is_counted_and_logged_not_raised(free_port: int, caplog: Any) -> None:
    producer = Producer(f"127.0.0.1:{free_port}", {"message.timeout.ms": 1500})
    publish_to_topic(producer, foo_bar_message, GOOD)
    publish_to_topic(producer, foo_bar_message, {**GOOD, "bar": 2})
    assert producer.flush() == 0
    assert len(producer.not_delivered) == 2
    assert all(r.startswith("connection producer: delivery to topic thoth.foo-bar failed") for r in producer.not_delivered)
    assert sum(r.name == "thoth.messaging" and "message not delivered" in r.message for r in caplog.records) == 2
    producer.close()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "thoth.messaging.cli", *args], capture_output=True, text=True)


def test_the_command_line_validates_thoth_messages_and_sends_the_rest_as_they_are(
        broker: Any, kafka_values: Any, tmp_path: Path) -> None:
    broker.create_topic("thoth.foo-bar")
    broker.create_topic("elsewhere")
    f = tmp_path / "messages_to_be_sent.json"
    f.write_text(json.dumps([
        {"topic_name": "thoth.foo-bar", "message_contents": GOOD},
        {"topic_name": "elsewhere", "message_contents": {"anything": [1]}},
    ]))
    run = _cli("--message-file", str(f), "--bootstrap", broker.bootstrap)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "sent 2 of 2 messages"
    assert [json.loads(v) for v in kafka_values(broker.bootstrap, "thoth.foo-bar", 1)] == [{**GOOD, "details": {}}]
    assert [json.loads(v) for v in kafka_values(broker.bootstrap, "elsewhere", 1)] == [{"anything": [1]}]


def test_one_entry_that_does_not_fit_stops_the_command_before_anything_is_sent(
        broker: Any, kafka_values: Any, tmp_path: Path) -> None:
    broker.create_topic("thoth.foo-bar")
    f = tmp_path / "m.json"
    f.write_text(json.dumps([{"topic_name": "thoth.foo-bar", "message_contents": GOOD},
                             {"topic_name": "thoth.foo-bar", "message_contents": {**GOOD, "bar": "x"}}]))
    run = _cli("--message-file", str(f), "--bootstrap", broker.bootstrap)
    assert run.returncode == 1
    assert run.stderr.strip() == f"cli: {f}: entry 1: thoth.foo-bar: bar: Input should be a valid integer"
    assert run.stdout == ""
    assert kafka_values(broker.bootstrap, "thoth.foo-bar", 0) == []


def test_the_command_line_imports_a_module_of_the_users_message_types(tmp_path: Path) -> None:
    (tmp_path / "my_messages.py").write_text(
        "from thoth.messaging import BaseMessageContents, MessageBase\n"
        "class MessageContents(BaseMessageContents):\n    n: int\n"
        "mine = MessageBase(base_name='my.topic', model=MessageContents)\n")
    f = tmp_path / "m.json"
    f.write_text(json.dumps({"topic_name": "my.topic", "message_contents": {"n": 1}}))
    run = subprocess.run([sys.executable, "-m", "thoth.messaging.cli", "--message-file", str(f), "--messages", "my_messages"],
                         capture_output=True, text=True, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])})
    assert run.returncode == 1
    assert "entry 0: my.topic: component_name: Field required; service_version: Field required" in run.stderr
    run = _cli("--message-file", str(f), "--messages", "no_such_module_here")
    assert run.returncode == 1
    assert "cli: --messages no_such_module_here: No module named 'no_such_module_here'" in run.stderr
