"""Thoth's command line: send messages from a JSON file, validating each message whose topic is
a Thoth message type against its model first (all or nothing: one entry that does not fit stops
the command before anything is sent, naming the entry and each field).

    python -m thoth.messaging.cli --message-file messages_to_be_sent.json [--bootstrap HOST:PORT]
                                  [--messages MODULE ...]

`--messages` imports a module of your own message types (each `MessageBase` it makes registers
its topic). Messages to other topics are sent unchecked: thoth-messaging only enforces the
schemas it knows. Everything else is `python -m messageapi.cli` (see there).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, Optional

from messageapi import cli

from .message_base import message_for_topic


def check(topic: str, contents: dict[str, Any]) -> dict[str, Any]:
    message = message_for_topic(topic)
    return contents if message is None else message.to_json(contents)


def main(argv: Optional[list[str]] = None) -> int:
    p = cli.parser("python -m thoth.messaging.cli")
    p.add_argument("--messages", action="append", default=[], metavar="MODULE",
                   help="import a module of message types (repeatable)")
    args = p.parse_args(argv)
    for module in args.messages:
        try:
            importlib.import_module(module)
        except ImportError as e:
            print(f"cli: --messages {module}: {e}", file=sys.stderr)
            return 1
    return cli.send_file(args, check)


if __name__ == "__main__":
    sys.exit(main())
