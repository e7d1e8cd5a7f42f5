"""The examples of the messaging libraries this package stands in for (MLOps messages and
orchestration, Thoth, the workspaces Router), as their users write them: every name they show
exists with that name and behaviour. Seeds 000 and 001 are walked here; seed 002 (Thoth) in
test_thoth.py and test_cli.py, seed 003 (the Router) in test_router.py and test_router_amqp.py."""

from __future__ import annotations

import time
from typing import Any

import mlops.messaging as mes
import mlops.orchestration as orc


def test_seed_000_mlops_messaging_examples() -> None:
    # "Create an MLOpsMessage"
    user_msg = "Hello World"
    mlops_msg = mes.MLOpsMessage(
        mes.MessageType.COMPLETE,
        creator="ETL",
        user_message=user_msg,
        output="/dataset/data"
    )
    assert mlops_msg.get_user_message() == "Hello World"
    assert mlops_msg.get_stage() is None
    # "Set data in an MLOpsMessage"
    mlops_msg.set_message_data("stage", mes.Stages.STAGED)
    mlops_msg.set_message_data("additional_arguments", {"my_dict": "fizzbuzz"})
    assert mlops_msg.get_stage() == mes.Stages.STAGED
    assert mlops_msg.get_additional_arguments() == {"my_dict": "fizzbuzz"}
    # "Get contents from an MLOpsMessage" (the getters the consumer example calls)
    assert mlops_msg.get_creator_type() == "ETL"
    assert mlops_msg.get_topic() is None
    assert mlops_msg.user_message() == "Hello World"


def test_seed_001_orchestration_examples(broker: Any) -> None:
    for t in ("Cool-New-Topic", "Another-Topic", "some-other-topic", "a-3rdTopic"):
        broker.create_topic(t)
    endpoint = broker.bootstrap
    mlops_msg = mes.MLOpsMessage(mes.MessageType.COMPLETE, creator="ETL", user_message="Hello World")
    # Producer: one topic; then several topics and extra keyword arguments (kafka-python names).
    new_prod = orc.Producer(orchestrator_endpoint=endpoint, topic="Cool-New-Topic")
    new_prod2 = orc.Producer(
        orchestrator_endpoint=endpoint,
        orchestrator="kafka",
        topic=["Cool-New-Topic", "Another-Topic"],
        acks="all",
        max_request_size=20000
    )
    assert new_prod.send(mlops_msg)
    assert new_prod2.send(mlops_msg)
    assert new_prod.flush() == 1 and new_prod2.flush() == 2
    # Consumer: topics positional endpoint and orchestrator, a list of topics, subscribe adds one.
    new_con2 = orc.Consumer(
        endpoint,
        "kafka",
        topic=["Cool-New-Topic", "some-other-topic"],
        auto_offset_reset="earliest"
    )
    new_con2.subscribe("a-3rdTopic")
    assert new_con2.get_subscriptions() == ["Cool-New-Topic", "some-other-topic", "a-3rdTopic"]
    got: list[Any] = []
    deadline = time.time() + 60
    while len(got) < 2 and time.time() < deadline:
        msgs = new_con2.get_messages(filter=lambda msg: msg.get_topic() == "Cool-New-Topic")
        if msgs != []:
            got.extend(msgs)
    assert [m.get_user_message() for m in got] == ["Hello World", "Hello World"], [m.to_dict() for m in got]
    assert all(m.get_topic() == "Cool-New-Topic" for m in got)
    # The third class: orchestration metadata.
    admin = orc.Admin(orchestrator_endpoint=endpoint)
    assert {"Cool-New-Topic", "Another-Topic", "some-other-topic", "a-3rdTopic"} <= set(admin.get_topics())
    assert admin.get_metadata()["brokers"][0]["port"] == int(endpoint.rsplit(":", 1)[1])
    admin.close()
    new_con2.unsubscribe()
    assert new_con2.get_subscriptions() == [] and new_con2.get_messages() == []
    for c in (new_prod, new_prod2, new_con2):
        c.close()


# Seed 002 (Thoth): `--message-file` is `mapi send --message-file FILE` (tests/cli.rs).
# Seed 003 (workspaces Router): tests/test_router_amqp.py walks its examples across processes.


def test_seed_001_admin_without_a_broker_does_not_raise(free_port: int) -> None:
    admin = orc.Admin(orchestrator_endpoint=f"127.0.0.1:{free_port}")
    assert admin.get_topics() == [] and admin.get_metadata() == {}
