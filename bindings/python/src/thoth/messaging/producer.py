"""Publishing Thoth messages to Kafka: each message's value is its contents as JSON (what a Thoth
consumer reads with its model), on the message type's topic.

    producer = Producer("broker:9092")
    publish_to_topic(producer, foo_bar_message, {"component_name": "c", "service_version": "1",
                                                 "foo": "x", "bar": 1})
    producer.flush()   # waits for delivery; returns how many were delivered

Contents are validated first (`MessageInvalid`, naming each field, before anything is sent).
A broker that is down does not raise: the library warns once, and `flush` logs each message
not delivered with its reason and counts only those delivered.
"""

from __future__ import annotations

import logging
from typing import Any, Mapping, Optional, Union

from messageapi import _transport
from messageapi.core import Request, Response, Session

from .message_base import BaseMessageContents, MessageBase

logger = logging.getLogger("thoth.messaging")

__all__ = ["Producer", "publish_to_topic"]


class Producer:
    """A Kafka producer of Thoth messages. `bootstrap` defaults to MAPI_KAFKA_BOOTSTRAP, else
    localhost:9092; `config` adds librdkafka settings (e.g. `{"message.timeout.ms": 3000}`)."""

    def __init__(self, bootstrap: Optional[str] = None, config: Optional[Mapping[str, Any]] = None) -> None:
        self.bootstrap = bootstrap or _transport.env_bootstrap() or "localhost:9092"
        self._session = Session.from_json(_transport.bare_producer_manifest(self.bootstrap, dict(config or {})))
        self._request: Optional[Request] = self._session.request()
        self._pending: list[Response] = []
        self.not_delivered: list[str] = []

    def send(self, messages: list[tuple[str, dict[str, Any]]]) -> None:
        """Sends (topic, contents) pairs as they are (no validation); `flush` waits for them."""
        if self._request is None:
            raise RuntimeError("the producer is closed")
        self._request.clear()
        for topic, contents in messages:
            self._request.add(message=contents, topic=topic)
        self._pending.append(self._request.submit())

    def flush(self) -> int:
        """Waits for every message sent; returns how many were delivered. Each one not delivered
        is logged with its reason and kept in `not_delivered`."""
        delivered, failed = _transport.settle(self._pending, logger)
        self.not_delivered.extend(failed)
        return delivered

    def close(self) -> None:
        self.flush()
        if self._request is not None:
            self._request.close()
            self._request = None
            self._session.close()

    def __enter__(self) -> Producer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def publish_to_topic(producer: Producer, message_type: MessageBase[Any],
                     message_contents: Union[Mapping[str, Any], BaseMessageContents]) -> None:
    """Validates the contents with the message's model (`MessageInvalid` when they do not fit)
    and sends them to its topic; `producer.flush()` waits for delivery."""
    producer.send([(message_type.topic_name, message_type.to_json(message_contents))])
