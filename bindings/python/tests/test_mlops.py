"""messageapi.mlops: message semantics, and producers/consumers with and without a broker."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from messageapi.mlops import Consumer, MessageType, MLOpsMessage, Producer, Stages


def test_get_and_set_semantics() -> None:
    m = MLOpsMessage(MessageType.STATUS, creator={"type": "trainer", "id": "t-1"}, stage="training",
                     user_message="epoch 3 done", additional_arguments={"epoch": 3})
    assert m.get_message_type() is MessageType.STATUS
    assert m.get_creator_type() == "trainer"
    assert m.get_creator_id() == "t-1"
    assert m.get_stage() is Stages.TRAINING
    assert m.get_user_message() == "epoch 3 done"
    assert m.get_output() is None
    assert m.get_topic() is None
    assert m.get_additional_arguments() == {"epoch": 3}
    m.set_message_data("output", {"loss": 0.25})
    m.set_message_data("stage", Stages.EVALUATION)
    m.set_message_data("topic", "models")
    assert m.get_output() == {"loss": 0.25}
    assert m.get_stage() is Stages.EVALUATION
    assert m.get_topic() == "models"
    with pytest.raises(KeyError):
        m.set_message_data("colour", "blue")
    with pytest.raises(ValueError):
        m.set_message_data("stage", "napping")
    assert MLOpsMessage.from_dict(m.to_dict()) == m
    assert m.to_dict()["stage"] == "evaluation"
    plain = MLOpsMessage("request", creator="scheduler")
    assert plain.get_creator_type() == "scheduler" and plain.get_creator_id() is None


def test_no_broker_nothing_raises_and_a_warning_is_logged(free_port: int, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="messageapi")
    producer = Producer(orchestrator_endpoint=f"127.0.0.1:{free_port}", topic="t", acks="all")
    assert producer.send(MLOpsMessage(MessageType.STATUS), flush=True) is False
    producer.close()
    consumer = Consumer(orchestrator_endpoint=f"127.0.0.1:{free_port}", topic="t", group_id="g")
    assert consumer.get_messages() == []
    assert consumer.get_subscriptions() == ["t"]
    consumer.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("no Kafka broker reachable" in w and f"127.0.0.1:{free_port}" in w for w in warnings), warnings


def test_round_trip_through_a_broker_with_a_filter(broker: Any) -> None:
    broker.create_topic("mlops-events")
    producer = Producer(orchestrator_endpoint=broker.bootstrap, topic="mlops-events", acks="all", linger_ms=1)
    for i in range(6):
        stage = Stages.TRAINING if i % 2 == 0 else Stages.EVALUATION
        assert producer.send(MLOpsMessage(MessageType.STATUS, creator="trainer", stage=stage, user_message=f"step {i}"))
    assert producer.flush() == 6
    producer.close()
    consumer = Consumer(orchestrator_endpoint=broker.bootstrap, topic="mlops-events", group_id="watchers",
                        auto_offset_reset="earliest", consumer_timeout_ms=3000)
    got: list[MLOpsMessage] = []
    deadline = time.time() + 30
    while len(got) < 3 and time.time() < deadline:
        got += consumer.get_messages(filter=lambda m: m.get_stage() is Stages.TRAINING)
    assert [m.get_user_message() for m in got] == ["step 0", "step 2", "step 4"]
    consumer.unsubscribe()
    assert consumer.get_subscriptions() == []
    assert consumer.get_messages() == []
    consumer.close()
