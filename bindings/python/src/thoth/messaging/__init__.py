"""Thoth's messaging library (`thoth-messaging`) on messageapi: pydantic models of each message's
contents (`BaseMessageContents`, each message module's `MessageContents`), message types naming
their topic (`MessageBase`), publishing to Kafka (`Producer`, `publish_to_topic`) and the command
line that sends messages from a file (`python -m thoth.messaging.cli --message-file F`).

Needs pydantic 2 (`pip install 'messageapi[thoth]'`)."""

from .foo_bar import foo_bar_message
from .message_base import ALL_MESSAGES, BaseMessageContents, MessageBase, MessageInvalid, message_for_topic
from .producer import Producer, publish_to_topic

__all__ = ["ALL_MESSAGES", "BaseMessageContents", "MessageBase", "MessageInvalid", "Producer",
           "foo_bar_message", "message_for_topic", "publish_to_topic"]
