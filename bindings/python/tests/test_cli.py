"""Seed 002 (Thoth): `python -m messageapi.cli --message-file messages_to_be_sent.json`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def test_message_file_is_sent_topic_by_topic(broker: Any, kafka_values: Any, tmp_path: Path) -> None:
    broker.create_topic("thoth-a")
    broker.create_topic("thoth-b")
    f = tmp_path / "messages_to_be_sent.json"
    f.write_text(json.dumps([
        {"topic_name": "thoth-a", "message_contents": {"component_name": "investigator", "n": 1}},
        {"topic": "thoth-b", "message": {"n": 2}},
        {"message": {"n": 3}},
    ]))
    run = subprocess.run([sys.executable, "-m", "messageapi.cli", "--message-file", str(f),
                          "--bootstrap", broker.bootstrap, "--topic", "thoth-b"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "sent 3 of 3 messages"
    # Each value is the message contents as JSON, as a Thoth consumer reads it (kafka-python).
    assert [json.loads(v) for v in kafka_values(broker.bootstrap, "thoth-a", 1)] == [{"component_name": "investigator", "n": 1}]
    assert sorted(json.loads(v)["n"] for v in kafka_values(broker.bootstrap, "thoth-b", 2)) == [2, 3]


def test_an_entry_without_a_topic_is_refused_by_position(tmp_path: Path) -> None:
    f = tmp_path / "m.json"
    f.write_text(json.dumps([{"topic": "t", "message": {}}, {"message": {"n": 1}}]))
    run = subprocess.run([sys.executable, "-m", "messageapi.cli", "--message-file", str(f)], capture_output=True, text=True)
    assert run.returncode == 1
    assert "entry 1: no topic (topic_name or topic, or --topic)" in run.stderr
