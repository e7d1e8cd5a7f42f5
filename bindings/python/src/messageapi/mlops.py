"""MLOps messaging: typed messages, and a Producer and Consumer that never take the pipeline
down. When no broker can be reached nothing raises: a warning is logged (Python logging,
logger "messageapi.mlops"), sends are dropped and get_messages returns [].

The orchestrator (Kafka bootstrap address) is `orchestrator_endpoint` ("host:port"), else
`orchestrator` (a host, port 9092), else MAPI_KAFKA_BOOTSTRAP, then kafka:9092, then
localhost:9092: the first that accepts a connection. Keyword arguments known from kafka-python
(acks, group_id, auto_offset_reset, max_poll_records, max_request_size, ...) map to librdkafka
settings; keys with dots pass through as they are.
"""

from __future__ import annotations

import json
import logging
from enum import Enum
from typing import Any, Callable, Optional

from . import _transport
from ._ffi import lib
from .core import Request, Response, Session, _copy_text_fn

logger = logging.getLogger("messageapi.mlops")


class MessageType(str, Enum):
    """What a message is for."""

    REQUEST = "request"
    RESPONSE = "response"
    STATUS = "status"
    RESULT = "result"
    ERROR = "error"
    COMMAND = "command"
    COMPLETE = "complete"


class Stages(str, Enum):
    """The stage of the ML lifecycle a message belongs to."""

    STAGED = "staged"
    DATA_INGESTION = "data_ingestion"
    DATA_VALIDATION = "data_validation"
    PREPROCESSING = "preprocessing"
    TRAINING = "training"
    EVALUATION = "evaluation"
    DEPLOYMENT = "deployment"
    MONITORING = "monitoring"


SECTIONS = ("message_type", "creator", "user_message", "output", "stage", "topic", "additional_arguments")


class MLOpsMessage:
    """A message in sections; each get method returns its section, or None when absent.

    `creator` may be a string or a dict with "type" and "id" (get_creator_type, get_creator_id).
    """

    def __init__(self, message_type: MessageType | str, creator: Any = None, user_message: Any = None,
                 output: Any = None, stage: Stages | str | None = None, topic: Optional[str] = None,
                 additional_arguments: Optional[dict[str, Any]] = None) -> None:
        self._data: dict[str, Any] = {
            "message_type": MessageType(message_type),
            "creator": creator,
            "user_message": user_message,
            "output": output,
            "stage": Stages(stage) if stage is not None else None,
            "topic": topic,
            "additional_arguments": additional_arguments,
        }

    def get_message_data(self, section: str) -> Any:
        if section not in SECTIONS:
            raise KeyError(f"unknown section {section!r} (sections: {', '.join(SECTIONS)})")
        return self._data.get(section)

    def set_message_data(self, section: str, value: Any) -> None:
        """Sets one section (message_type and stage are checked against their enums)."""
        if section not in SECTIONS:
            raise KeyError(f"unknown section {section!r} (sections: {', '.join(SECTIONS)})")
        if section == "message_type":
            value = MessageType(value)
        elif section == "stage" and value is not None:
            value = Stages(value)
        self._data[section] = value

    def get_message_type(self) -> MessageType:
        return MessageType(self._data["message_type"])

    def get_creator(self) -> Any:
        return self._data.get("creator")

    def get_creator_type(self) -> Optional[str]:
        c = self._data.get("creator")
        if isinstance(c, dict):
            return c.get("type")
        return c if isinstance(c, str) else None

    def get_creator_id(self) -> Optional[str]:
        c = self._data.get("creator")
        return c.get("id") if isinstance(c, dict) else None

    def get_user_message(self) -> Any:
        return self._data.get("user_message")

    def user_message(self) -> Any:
        """The user message (as the seed's consumer example calls it; same as get_user_message)."""
        return self._data.get("user_message")

    def get_output(self) -> Any:
        return self._data.get("output")

    def get_stage(self) -> Optional[Stages]:
        s = self._data.get("stage")
        return Stages(s) if s is not None else None

    def get_topic(self) -> Optional[str]:
        t = self._data.get("topic")
        return t if isinstance(t, str) else None

    def get_additional_arguments(self) -> Optional[dict[str, Any]]:
        a = self._data.get("additional_arguments")
        return a if isinstance(a, dict) else None

    def to_dict(self) -> dict[str, Any]:
        """The message as sent: absent sections are left out; enums as their values."""
        return {k: (v.value if isinstance(v, Enum) else v) for k, v in self._data.items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MLOpsMessage:
        unknown = set(data) - set(SECTIONS)
        extra = {k: data[k] for k in unknown}
        args = dict(data.get("additional_arguments") or {})
        args.update(extra)
        return cls(
            data.get("message_type", MessageType.STATUS),
            creator=data.get("creator"),
            user_message=data.get("user_message"),
            output=data.get("output"),
            stage=data.get("stage"),
            topic=data.get("topic"),
            additional_arguments=args or None,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MLOpsMessage) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"MLOpsMessage({self.to_dict()!r})"


# kafka-python keyword arguments -> librdkafka settings (or our own keys)
_KWARGS = {
    "acks": "acks",
    "client_id": "client.id",
    "group_id": "group.id",
    "auto_offset_reset": "auto.offset.reset",
    "max_poll_records": "max-records",
    "consumer_timeout_ms": "timeout-ms",
    "max_request_size": "message.max.bytes",
    "linger_ms": "linger.ms",
    "retries": "retries",
    "compression_type": "compression.type",
    "request_timeout_ms": "request.timeout.ms",
    "session_timeout_ms": "session.timeout.ms",
    "heartbeat_interval_ms": "heartbeat.interval.ms",
    "message_timeout_ms": "message.timeout.ms",
    "batch_size": "batch.size",
}


def _config(kwargs: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in kwargs.items():
        if k in ("bootstrap_servers",):
            continue
        if k in _KWARGS:
            if k == "acks" and v == "all":
                v = "all"
            out[_KWARGS[k]] = v if isinstance(v, (int, str)) else str(v)
        elif "." in k:
            out[k] = v
        elif k in ("enable_auto_commit", "value_serializer", "value_deserializer", "key_serializer", "key_deserializer"):
            logger.debug("%s is handled by messageapi and ignored", k)
        else:
            logger.warning("unknown Kafka option %s ignored", k)
    return out


def _orchestrator(endpoint: Optional[str], host: Optional[str], kwargs: dict[str, Any]) -> tuple[Optional[str], list[str]]:
    explicit = endpoint or (f"{host}:9092" if host else None) or kwargs.get("bootstrap_servers")
    if isinstance(explicit, (list, tuple)):
        explicit = ",".join(explicit)
    candidates = [explicit] if explicit else [_transport.env_bootstrap(), "kafka:9092", "localhost:9092"]
    tried = [c for c in candidates if c]
    return _transport.find_broker(tried), tried


class Producer:
    """Sends MLOpsMessages to `topic` (one or a list: each message goes to every one), or to each
    message's own topic when it has one."""

    def __init__(self, orchestrator_endpoint: Optional[str] = None, orchestrator: Optional[str] = None,
                 topic: Optional[str | list[str]] = None, **kwargs: Any) -> None:
        self.topics: list[str] = [topic] if isinstance(topic, str) else list(topic or [])
        self.topic = self.topics[0] if self.topics else None
        self.bootstrap, tried = _orchestrator(orchestrator_endpoint, orchestrator, kwargs)
        self._pending: list[Response] = []
        self._request: Optional[Request] = None
        if self.bootstrap is None:
            logger.warning("no Kafka broker reachable (tried %s): messages will not be sent", ", ".join(tried))
            return
        config = {"bootstrap.servers": self.bootstrap, "message.timeout.ms": 10000, **_config(kwargs)}
        self._request = Session.from_json(_transport.producer_manifest(self.topic or "mlops", config)).request()

    def send(self, msg: Optional[MLOpsMessage] = None, flush: bool = False) -> bool:
        """Sends a message (delivery is confirmed by flush); False when it cannot be sent."""
        if msg is None:
            return self.flush() >= 0 if flush else True
        if self._request is None:
            logger.warning("no Kafka broker: message not sent: %r", msg)
            return False
        topics = [msg.get_topic()] if msg.get_topic() else self.topics
        if not topics:
            logger.warning("message without a topic and no producer topic: not sent")
            return False
        self._request.clear()
        for topic in topics:
            self._request.add(message=msg.to_dict(), topic=topic)
        self._pending.append(self._request.submit())
        if flush:
            self.flush()
        return True

    def flush(self) -> int:
        """Waits for every pending delivery; returns how many were delivered (failures are
        logged, not raised)."""
        return _transport.settle(self._pending, logger)[0]

    def close(self) -> None:
        self.flush()
        if self._request is not None:
            self._request.close()
            self._request = None


class Consumer:
    """Receives MLOpsMessages from the subscribed topic(s)."""

    def __init__(self, orchestrator_endpoint: Optional[str] = None, orchestrator: Optional[str] = None,
                 topic: Optional[str | list[str]] = None, **kwargs: Any) -> None:
        self.bootstrap, tried = _orchestrator(orchestrator_endpoint, orchestrator, kwargs)
        self._topics: list[str] = [topic] if isinstance(topic, str) else list(topic or [])
        self._request: Optional[Request] = None
        if self.bootstrap is None:
            logger.warning("no Kafka broker reachable (tried %s): get_messages will return []", ", ".join(tried))
            return
        config = {"bootstrap.servers": self.bootstrap, "group.id": "mlops", "timeout-ms": 2000, **_config(kwargs)}
        self._request = Session.from_json(_transport.consumer_manifest(self._topics, config)).request()

    def subscribe(self, topic: str | list[str]) -> None:
        """Adds topic(s) to the subscriptions (the seed's "subscribe to another topic")."""
        for t in [topic] if isinstance(topic, str) else list(topic):
            if t not in self._topics:
                self._topics.append(t)
        if self._request is not None:
            self._request.set_parameter("consumer", "topics", self._topics)

    def unsubscribe(self) -> None:
        self._topics = []
        if self._request is not None:
            self._request.set_parameter("consumer", "topics", [])

    def get_subscriptions(self) -> list[str]:
        return list(self._topics)

    def get_messages(self, filter: Callable[[MLOpsMessage], bool] = lambda m: True) -> list[MLOpsMessage]:  # noqa: A002
        """The next messages that pass `filter` (the previous ones count as processed)."""
        if self._request is None or not self._topics:
            return []
        response = self._request.submit()
        out = []
        for r in response.records:
            m = MLOpsMessage.from_dict(dict(r["message"]))
            if m.get_topic() is None and r.get("kafka-topic"):
                m.set_message_data("topic", r["kafka-topic"])  # where it came from
            if filter(m):
                out.append(m)
        for rej in response.rejections:
            logger.warning("message skipped: %s", "; ".join(rej.reasons))
        return out

    def close(self) -> None:
        if self._request is not None:
            self._request.close()
            self._request = None


class Admin:
    """Orchestration metadata: the brokers and topics of the Kafka cluster (the seed's third
    class). Like Producer and Consumer, it never raises when no broker is reachable: a warning
    is logged and the answers are empty."""

    def __init__(self, orchestrator_endpoint: Optional[str] = None, orchestrator: Optional[str] = None,
                 timeout: float = 10.0, **kwargs: Any) -> None:
        self.bootstrap, tried = _orchestrator(orchestrator_endpoint, orchestrator, kwargs)
        self.timeout = timeout
        self._config = {"bootstrap.servers": self.bootstrap, **_config(kwargs)} if self.bootstrap else None
        if self.bootstrap is None:
            logger.warning("no Kafka broker reachable (tried %s): no metadata", ", ".join(tried))

    def get_metadata(self) -> dict[str, Any]:
        """{"brokers": [{"id", "host", "port"}], "topics": [{"name", "partitions"}]}; {} without a
        broker or when it does not answer in time (logged)."""
        if self._config is None:
            return {}
        try:
            metadata: dict[str, Any] = json.loads(_copy_text_fn(
                lambda buf, cap, n: lib.mapi_kafka_metadata(json.dumps(self._config).encode(),
                                                            int(self.timeout * 1000), buf, cap, n)))
        except Exception as e:  # noqa: BLE001 - the orchestration library never raises
            logger.warning("no metadata from %s: %s", self.bootstrap, e)
            return {}
        return metadata

    def get_topics(self) -> list[str]:
        """The cluster's topic names (internal ones, starting with "__", left out)."""
        return [t["name"] for t in self.get_metadata().get("topics", []) if not t["name"].startswith("__")]

    def close(self) -> None:
        self._config = None
