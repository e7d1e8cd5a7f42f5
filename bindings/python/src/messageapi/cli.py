"""Send messages from a JSON file, as Thoth's messaging command line does:

    python -m messageapi.cli --message-file messages_to_be_sent.json [--bootstrap HOST:PORT]

The file holds a list (or one) of messages, each `{"topic_name": ..., "message_contents": {...}}`
(Thoth's names) or `{"topic": ..., "message": {...}}`; `--topic` sends entries without a topic
there. Each message's Kafka value is its contents as JSON (what a Thoth consumer reads). The
broker is `--bootstrap`, else MAPI_KAFKA_BOOTSTRAP, else localhost:9092. Prints what was sent;
exit status 0 when every message was delivered, 2 when some were not (each named on standard
error with its reason), 1 on an error before anything is sent (the file unreadable, an entry
without a topic, or contents refused by a check: all or nothing).

`python -m thoth.messaging.cli` is the same command that also validates the contents of each
message whose topic is a Thoth message type (with pydantic).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Callable, Optional

from . import _transport
from .core import Session

# Checks one message (topic, contents) before anything is sent: returns the contents to send,
# or raises ValueError saying why not.
Check = Callable[[str, dict[str, Any]], dict[str, Any]]


def entries(data: Any, default_topic: Optional[str]) -> list[tuple[str, dict[str, Any]]]:
    """(topic, message) of each entry; ValueError naming the entry when one has no topic."""
    items = data if isinstance(data, list) else [data]
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValueError(f"entry {i}: expected an object, found {type(item).__name__}")
        topic = item.get("topic_name", item.get("topic", default_topic))
        message = item.get("message_contents", item.get("message"))
        if not isinstance(topic, str) or not topic:
            raise ValueError(f"entry {i}: no topic (topic_name or topic, or --topic)")
        if not isinstance(message, dict):
            raise ValueError(f"entry {i}: no message (message_contents or message, an object)")
        out.append((topic, message))
    return out


def parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Send messages from a JSON file to Kafka.")
    p.add_argument("--message-file", required=True, help="the messages (a JSON list, or one object)")
    p.add_argument("--bootstrap", help="the broker (default: MAPI_KAFKA_BOOTSTRAP, else localhost:9092)")
    p.add_argument("--topic", help="the topic of entries that name none")
    return p


def send_file(args: argparse.Namespace, check: Optional[Check] = None) -> int:
    """Reads, checks and sends the messages of `args.message_file`; the exit status."""
    try:
        with open(args.message_file, encoding="utf-8") as f:
            todo = entries(json.load(f), args.topic)
        if check is not None:
            checked = []
            for i, (topic, message) in enumerate(todo):
                try:
                    checked.append((topic, check(topic, message)))
                except ValueError as e:
                    raise ValueError(f"entry {i}: {e}") from None
            todo = checked
    except (OSError, ValueError) as e:
        print(f"cli: {args.message_file}: {e}", file=sys.stderr)
        return 1
    bootstrap = args.bootstrap or _transport.env_bootstrap() or "localhost:9092"
    session = Session.from_json(_transport.bare_producer_manifest(bootstrap))
    request = session.request()
    for topic, message in todo:
        request.add(message=message, topic=topic)
    response = request.submit()
    delivered = len(response.records)
    for r in response.rejections:
        print(f"not sent: {'; '.join(r.reasons)}", file=sys.stderr)
    print(f"sent {delivered} of {len(todo)} messages")
    request.close()
    session.close()
    return 0 if delivered == len(todo) else 2


def main(argv: Optional[list[str]] = None) -> int:
    return send_file(parser("python -m messageapi.cli").parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
