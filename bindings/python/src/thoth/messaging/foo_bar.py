"""The example message of Thoth's documentation, `foo_bar_message`: a message module as each of
Thoth's is written (its own `MessageContents`, and one `MessageBase`)."""

from __future__ import annotations

from typing import Any, Dict

from pydantic import StrictInt, StrictStr

from .message_base import BaseMessageContents, MessageBase

base_name = "thoth.foo-bar"


class MessageContents(BaseMessageContents):
    """Contents of a foo-bar message. `details` is deliberately vague (`Dict[str, Any]`): its
    schema belongs to whoever fills it."""

    foo: StrictStr
    bar: StrictInt
    details: Dict[str, Any] = {}


foo_bar_message = MessageBase(base_name=base_name, model=MessageContents)
