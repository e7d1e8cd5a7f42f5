"""Routing messages (dicts) to handlers by pattern.

    router = Router("weather")                      # Kafka if MAPI_KAFKA_BOOTSTRAP is set
    @router.on_message(kind="obs", station="KILX")
    def kilx(**message): ...
    router.send_message(kind="obs", station="KILX", temp=21.5)
    router.poll(1.0)                                # with a broker: pull and dispatch

A handler receives every message that is a superset of its pattern (every pattern key present
with an equal value; other keys are fine), called as handler(**message). `register(obj)` adds
a function, or every method of an object, decorated with the module-level `on_message`.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional, TypeVar

from . import _transport
from .core import Request, Response, Session

logger = logging.getLogger("messageapi.router")
Handler = Callable[..., Any]
F = TypeVar("F", bound=Callable[..., Any])
_PATTERNS = "__mapi_patterns__"


def on_message(**pattern: Any) -> Callable[[F], F]:
    """Marks a function or method as a handler of messages matching `pattern` (see register)."""

    def mark(fn: F) -> F:
        patterns: list[dict[str, Any]] = list(getattr(fn, _PATTERNS, []))
        patterns.append(dict(pattern))
        setattr(fn, _PATTERNS, patterns)
        return fn

    return mark


def matches(pattern: dict[str, Any], message: dict[str, Any]) -> bool:
    """Whether `message` is a superset of `pattern`."""
    return all(k in message and message[k] == v for k, v in pattern.items())


class Router:
    """Sends messages and dispatches them to the handlers whose pattern they match.

    With `bootstrap` (or MAPI_KAFKA_BOOTSTRAP) messages go through Kafka topic `topic` (default:
    the router's name) and arrive with `poll`; without, they are dispatched in-process as they are
    sent, through a session with an evaluation endpoint.
    """

    def __init__(self, name: str, bootstrap: Optional[str] = None, topic: Optional[str] = None,
                 group: Optional[str] = None, **kafka: Any) -> None:
        self.name = name
        self.topic = topic or name
        self._handlers: list[tuple[dict[str, Any], Handler]] = []
        self.bootstrap = bootstrap or _transport.env_bootstrap()
        self._pending: list[Response] = []
        if self.bootstrap:
            config = {"bootstrap.servers": self.bootstrap, **kafka}
            self._producer: Optional[Request] = Session.from_json(_transport.producer_manifest(self.topic, config)).request()
            consumer_config = {"group.id": group or f"router-{name}", "timeout-ms": 1000, **config}
            self._consumer: Optional[Request] = Session.from_json(
                _transport.consumer_manifest([self.topic], consumer_config)).request()
            self._local: Optional[Request] = None
        else:
            self._producer = self._consumer = None
            self._local = Session.from_json(_transport.local_manifest()).request()

    @property
    def uses_broker(self) -> bool:
        return self._producer is not None

    def on_message(self, **pattern: Any) -> Callable[[F], F]:
        """Registers the decorated function for messages matching `pattern`."""

        def add(fn: F) -> F:
            self._handlers.append((dict(pattern), fn))
            return fn

        return add

    def register(self, obj: Any) -> None:
        """Registers a function marked with `on_message`, or every marked method of `obj`."""
        found = False
        candidates = [obj] if callable(obj) and hasattr(obj, _PATTERNS) else [getattr(obj, n) for n in dir(obj) if not n.startswith("__")]
        for c in candidates:
            for pattern in getattr(c, _PATTERNS, []):
                self._handlers.append((pattern, c))
                found = True
        if not found:
            raise ValueError(f"{obj!r} has no handlers marked with on_message")

    def dispatch(self, message: dict[str, Any]) -> int:
        """Calls every handler whose pattern `message` matches; returns how many were called."""
        called = 0
        for pattern, handler in self._handlers:
            if matches(pattern, message):
                handler(**message)
                called += 1
        return called

    def send_message(self, **message: Any) -> None:
        """Sends a message (keyword arguments). In-process: dispatched at once; with a broker:
        produced to the router's topic (failures are logged, never raised)."""
        if self._local is not None:
            self._local.clear()
            self._local.add(message=message)
            for record in self._local.submit().records:
                self.dispatch(dict(record["message"]))
            return
        assert self._producer is not None
        self._producer.clear()
        self._producer.add(message=message, topic=self.topic)
        response = self._producer.submit()
        for r in response.rejections:
            logger.warning("router %s: message not sent: %s", self.name, "; ".join(r.reasons))

    def poll(self, timeout: float = 1.0) -> int:
        """With a broker: receives the next messages (waiting up to `timeout` seconds) and
        dispatches them; returns how many messages arrived. In-process: 0."""
        if self._consumer is None:
            return 0
        self._consumer.set_parameter("consumer", "timeout-ms", int(timeout * 1000))
        records = self._consumer.submit().records
        for record in records:
            self.dispatch(dict(record["message"]))
        return len(records)

    def close(self) -> None:
        for r in (self._producer, self._consumer, self._local):
            if r is not None:
                r.close()

    def __enter__(self) -> Router:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
