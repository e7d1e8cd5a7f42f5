"""The transports under the messaging helpers: AMQP and Kafka sessions when a broker is given or
found, else an in-process session. Messages are dicts, carried in one `json` field."""

from __future__ import annotations

import logging
import os
import socket
from typing import TYPE_CHECKING, Any, Iterable, Optional

if TYPE_CHECKING:
    from .core import Response

logger = logging.getLogger("messageapi")

FIELDS = [{"id": "message", "type": "json", "required": True}, {"id": "topic", "type": "string", "required": False}]
COLLECTIONS = [{"id": "messages", "fields": ["message", "topic"]}]


def reachable(address: str, timeout: float = 0.5) -> bool:
    """Whether a TCP connection to host:port can be made."""
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host or "localhost", int(port)), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


def find_broker(candidates: Iterable[Optional[str]]) -> Optional[str]:
    """The first reachable address among the candidates (first comma-separated entry checked)."""
    for c in candidates:
        if c and reachable(c.split(",")[0].strip()):
            return c
    return None


def producer_manifest(topic: str, config: dict[str, Any]) -> dict[str, Any]:
    constructor = {"topic": topic, "topic-field": "topic", **config}
    return {
        "fields": FIELDS,
        "collections": COLLECTIONS,
        "endpoints": [{"plugin": "kafka-producer", "connections": [
            {"id": "producer", "collections": ["messages"], "fields": ["message"], "constructor": constructor}]}],
    }


def bare_producer_manifest(bootstrap: str, config: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """A Kafka producer whose message value is the record's `message` field itself (the JSON
    object, as Thoth's consumers read it), sent to the record's `topic`."""
    return producer_manifest("messages", {"bootstrap.servers": bootstrap, "message.timeout.ms": 10000,
                                          "value-field": "message", **(config or {})})


def consumer_manifest(topics: list[str], config: dict[str, Any]) -> dict[str, Any]:
    constructor = {"topics": topics, "format": "json", **config}
    return {
        "fields": FIELDS,
        "collections": COLLECTIONS,
        "endpoints": [{"plugin": "kafka-consumer", "connections": [{"id": "consumer", "constructor": constructor}]}],
    }


def local_manifest() -> dict[str, Any]:
    return {
        "fields": FIELDS,
        "collections": COLLECTIONS,
        "endpoints": [{"plugin": "evaluation", "connections": [{"id": "local", "collections": ["messages"]}]}],
    }


DEFAULT_AMQP_URL = "amqp://guest:guest@localhost:5672/%2f"


def amqp_publisher_manifest(exchange: str, url: str) -> dict[str, Any]:
    """Publishes each message (the `message` JSON field itself) to a topic exchange, confirmed."""
    constructor = {"url": url, "exchange": exchange, "exchange-type": "topic", "routing-key": exchange,
                   "value-field": "message", "mandatory": False, "timeout-ms": 10000}
    return {
        "fields": FIELDS,
        "collections": COLLECTIONS,
        "endpoints": [{"plugin": "amqp-publisher", "connections": [
            {"id": "publisher", "collections": ["messages"], "constructor": constructor}]}],
    }


def amqp_consumer_manifest(exchange: str, queue: str, url: str) -> dict[str, Any]:
    """This router's own queue (deleted with it), bound to every message of the exchange, read raw."""
    constructor = {"url": url, "queue": queue, "durable": False, "auto-delete": True, "format": "raw",
                   "bindings": [{"exchange": exchange, "routing-key": "#"}], "timeout-ms": 500, "max-records": 500}
    return {
        "fields": FIELDS,
        "collections": COLLECTIONS,
        "endpoints": [{"plugin": "amqp-consumer", "connections": [{"id": "consumer", "constructor": constructor}]}],
    }


def settle(pending: list[Response], log: logging.Logger) -> tuple[int, list[str]]:
    """Waits for each pending response and clears the list: how many messages were delivered,
    and the reason of each one that was not (each also a warning on `log`)."""
    delivered, failed = 0, []
    for r in pending:
        delivered += len(r.records)
        for rej in r.rejections:
            reason = "; ".join(rej.reasons)
            log.warning("message not delivered: %s", reason)
            failed.append(reason)
    pending.clear()
    return delivered, failed


def env_bootstrap() -> Optional[str]:
    return os.environ.get("MAPI_KAFKA_BOOTSTRAP") or None
