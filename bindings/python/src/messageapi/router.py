"""Routing messages (dicts) to handlers by pattern, the workspaces messaging design.

    class Capability:
        def __init__(self):
            self.router = Router("capability")      # AMQP: a topic exchange named "capability"
            self.router.register(self)              # binds a queue; handlers run on a thread

        @on_message(service="workflow", type="delivery")
        def on_delivery(self, **message): ...

    router.send_message(service="workflow", type="delivery", id=23)   # JSON on the exchange

Transports: AMQP (RabbitMQ) by default: `url`, else MAPI_AMQP_URL, else the local broker
(amqp://guest:guest@localhost:5672/%2f) when it answers; Kafka with `bootstrap` (or
MAPI_KAFKA_BOOTSTRAP), polled with `poll`; in-process (dispatched as sent) when no broker is
given or found, or with `transport="local"`.

A handler receives every message that is a superset of its pattern (every pattern key present
with an equal value; other keys are fine), called as handler(**message). `register(obj)` adds
a function, or every method of an object, decorated with the module-level `on_message`.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
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

    AMQP: `send_message` publishes the message (a dict) as JSON to a topic exchange named after
    the router; `register` (or `on_message`) binds a queue of this router instance to it and
    dispatches every message that arrives on a background thread (`run()` blocks until
    `close()`). Two processes with `Router("capability")` exchange messages; a
    `Router("workflow")` does not see them. Kafka (`bootstrap`): topic `topic` (default: the
    name), pulled with `poll`. In-process: dispatched at once, through an evaluation session.
    """

    def __init__(self, name: str, url: Optional[str] = None, *, bootstrap: Optional[str] = None,
                 topic: Optional[str] = None, group: Optional[str] = None,
                 transport: Optional[str] = None, **kafka: Any) -> None:
        self.name = name
        self.topic = topic or name
        self._handlers: list[tuple[dict[str, Any], Handler]] = []
        self._lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        self._stop = threading.Event()
        self._producer: Optional[Request] = None
        self._consumer: Optional[Request] = None
        self._local: Optional[Request] = None
        self.bootstrap = bootstrap or (_transport.env_bootstrap() if transport in (None, "kafka") else None)
        self.url = url or os.environ.get("MAPI_AMQP_URL") or None
        if transport is None:
            if self.bootstrap:
                transport = "kafka"
            elif self.url or _transport.reachable("localhost:5672"):
                transport = "amqp"
            else:
                transport = "local"
        if transport not in ("amqp", "kafka", "local"):
            raise ValueError(f"transport {transport!r}: use 'amqp', 'kafka' or 'local'")
        self.transport = transport
        if transport == "kafka":
            if not self.bootstrap:
                raise ValueError("the Kafka transport needs bootstrap (or MAPI_KAFKA_BOOTSTRAP)")
            config = {"bootstrap.servers": self.bootstrap, **kafka}
            self._producer = Session.from_json(_transport.producer_manifest(self.topic, config)).request()
            consumer_config = {"group.id": group or f"router-{name}", "timeout-ms": 1000, **config}
            self._consumer = Session.from_json(
                _transport.consumer_manifest([self.topic], consumer_config)).request()
        elif transport == "amqp":
            self.url = self.url or _transport.DEFAULT_AMQP_URL
            self._producer = Session.from_json(_transport.amqp_publisher_manifest(name, self.url)).request()
        else:
            self._local = Session.from_json(_transport.local_manifest()).request()

    @property
    def uses_broker(self) -> bool:
        return self._producer is not None

    def on_message(self, **pattern: Any) -> Callable[[F], F]:
        """Registers the decorated function for messages matching `pattern`."""

        def add(fn: F) -> F:
            with self._lock:
                self._handlers.append((dict(pattern), fn))
            self._listen()
            return fn

        return add

    def register(self, obj: Any) -> None:
        """Registers a function marked with `on_message`, or every marked method of `obj`."""
        found = False
        candidates = [obj] if callable(obj) and hasattr(obj, _PATTERNS) else [getattr(obj, n) for n in dir(obj) if not n.startswith("__")]
        with self._lock:
            for c in candidates:
                for pattern in getattr(c, _PATTERNS, []):
                    self._handlers.append((pattern, c))
                    found = True
        if not found:
            raise ValueError(f"{obj!r} has no handlers marked with on_message")
        self._listen()

    def _listen(self) -> None:
        """AMQP: binds this router's queue (before returning, so that messages sent from now on
        arrive) and starts the dispatching thread, once."""
        if self.transport != "amqp" or self._thread is not None:
            return
        queue = f"router.{self.name}.{uuid.uuid4().hex[:12]}"
        self._consumer = Session.from_json(_transport.amqp_consumer_manifest(self.name, queue, self.url or "")).request()
        self._receive()  # declares and binds the queue
        self._thread = threading.Thread(target=self._loop, name=f"router-{self.name}", daemon=True)
        self._thread.start()

    def _receive(self) -> int:
        assert self._consumer is not None
        response = self._consumer.submit()
        for r in response.rejections:
            logger.warning("router %s: message not received: %s", self.name, "; ".join(r.reasons))
        records = response.records
        for record in records:
            try:
                message = json.loads(record["value"]) if "value" in record else dict(record["message"])
            except (TypeError, ValueError) as e:
                logger.warning("router %s: a message that is not a JSON object: %s", self.name, e)
                continue
            if isinstance(message, dict):
                try:
                    self.dispatch(message)
                except Exception:  # a handler's error must not stop the router
                    logger.exception("router %s: a handler failed", self.name)
        return len(records)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._receive()

    def run(self) -> None:
        """AMQP: dispatches messages in the foreground until `close()` (from a handler or
        another thread) or Ctrl-C."""
        self._listen()
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(0.5)
        except KeyboardInterrupt:
            self.close()

    def dispatch(self, message: dict[str, Any]) -> int:
        """Calls every handler whose pattern `message` matches; returns how many were called."""
        called = 0
        with self._lock:
            handlers = list(self._handlers)
        for pattern, handler in handlers:
            if matches(pattern, message):
                handler(**message)
                called += 1
        return called

    def send_message(self, **message: Any) -> None:
        """Sends a message (keyword arguments). In-process: dispatched at once; AMQP: published
        to the router's exchange and confirmed; Kafka: produced to the router's topic. Failures
        are logged, never raised."""
        if self._local is not None:
            self._local.clear()
            self._local.add(message=message)
            for record in self._local.submit().records:
                self.dispatch(dict(record["message"]))
            return
        assert self._producer is not None
        self._producer.clear()
        if self.transport == "amqp":
            self._producer.add(message=message)
        else:
            self._producer.add(message=message, topic=self.topic)
        response = self._producer.submit()
        for r in response.rejections:
            logger.warning("router %s: message not sent: %s", self.name, "; ".join(r.reasons))

    def poll(self, timeout: float = 1.0) -> int:
        """With a broker: receives the next messages (waiting up to `timeout` seconds) and
        dispatches them; returns how many messages arrived. In-process: 0."""
        if self._consumer is None or self.transport != "kafka":
            return 0
        self._consumer.set_parameter("consumer", "timeout-ms", int(timeout * 1000))
        records = self._consumer.submit().records
        for record in records:
            self.dispatch(dict(record["message"]))
        return len(records)

    def close(self) -> None:
        """Stops dispatching (the current batch finishes) and frees the transports."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        for r in (self._producer, self._consumer, self._local):
            if r is not None:
                r.close()
        self._producer = self._consumer = self._local = None

    def __enter__(self) -> Router:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
