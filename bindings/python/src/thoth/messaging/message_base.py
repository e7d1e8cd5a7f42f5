"""Thoth's message types: a pydantic model of each message's contents, and the topic it goes to.

Every message's contents derive from `BaseMessageContents`. A message module defines its own
`MessageContents` class and one `MessageBase` naming the topic and that model (see `foo_bar`):

    class MessageContents(BaseMessageContents):
        foo: StrictStr
        bar: StrictInt

    foo_bar_message = MessageBase(base_name="thoth.foo-bar", model=MessageContents)

`MessageBase` is generic in its model, so `foo_bar_message.model` is typed as that module's
`MessageContents` (in Thoth it was typed as `BaseMessageContents` only: the advice to use the
module's `MessageContents` directly still holds and still works).

thoth-messaging is naive: it enforces only the schemas it defines. A field typed
`Dict[str, Any]` takes any object; what is inside is checked by whoever defined it. Unknown keys
are refused (rather than dropped silently, which is pydantic's default).
"""

from __future__ import annotations

import json
import os
from typing import Any, Generic, Mapping, Optional, TypeVar, Union

try:
    from pydantic import BaseModel, ConfigDict, StrictStr, ValidationError
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError(
        "thoth.messaging needs pydantic 2: pip install 'messageapi[thoth]' (or pip install pydantic)"
    ) from e

__all__ = ["ALL_MESSAGES", "BaseMessageContents", "MessageBase", "MessageInvalid", "message_for_topic"]


class BaseMessageContents(BaseModel):
    """What every Thoth message carries: the component that sent it and that component's version."""

    model_config = ConfigDict(extra="forbid")

    component_name: StrictStr
    service_version: StrictStr


M = TypeVar("M", bound=BaseMessageContents)


class MessageInvalid(ValueError):
    """Contents that do not fit a message's model. The text names the topic and each field
    with its problem, e.g. `thoth.foo-bar: bar: Input should be a valid integer`."""

    def __init__(self, topic: str, problems: list[str]) -> None:
        super().__init__(f"{topic}: {'; '.join(problems)}")
        self.topic = topic
        self.problems = problems


def _problems(e: ValidationError) -> list[str]:
    out = []
    for err in e.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(message)"
        out.append(f"{where}: {err['msg']}")
    return out


class MessageBase(Generic[M]):
    """A Thoth message type: the topic (`base_name`, after the prefix in the environment variable
    `THOTH_MESSAGING_TOPIC_PREFIX` when it is set as the type is made, joined with a dot) and the
    model of its contents. Made message types register in `ALL_MESSAGES`, by topic name, so that
    the command line validates what it sends to them."""

    def __init__(self, base_name: str, model: type[M], register: bool = True) -> None:
        if not base_name:
            raise ValueError("a message needs a base_name (its topic)")
        self.base_name = base_name
        self.model: type[M] = model
        prefix = os.environ.get("THOTH_MESSAGING_TOPIC_PREFIX")
        self.topic_name = f"{prefix}.{base_name}" if prefix else base_name
        if register:
            ALL_MESSAGES[self.topic_name] = self

    def validate(self, contents: Union[Mapping[str, Any], BaseMessageContents]) -> M:
        """The contents as this message's model; `MessageInvalid` naming each field that does not fit."""
        if isinstance(contents, self.model):
            return contents
        data = contents.model_dump() if isinstance(contents, BaseMessageContents) else contents
        try:
            return self.model.model_validate(data)
        except ValidationError as e:
            raise MessageInvalid(self.topic_name, _problems(e)) from None

    def to_json(self, contents: Union[Mapping[str, Any], BaseMessageContents]) -> dict[str, Any]:
        """The contents validated (as `validate`), as the JSON object that is sent."""
        data: dict[str, Any] = self.validate(contents).model_dump(mode="json")
        return data

    def parse(self, value: Union[bytes, str, Mapping[str, Any]]) -> M:
        """A received message (its Kafka value, JSON text or bytes, or a dict) as this message's model."""
        if isinstance(value, (bytes, str)):
            try:
                value = json.loads(value)
            except ValueError as e:
                raise MessageInvalid(self.topic_name, [f"(message): not JSON: {e}"]) from None
        if not isinstance(value, Mapping):
            raise MessageInvalid(self.topic_name, [f"(message): expected an object, found {type(value).__name__}"])
        return self.validate(value)

    def __repr__(self) -> str:
        return f"MessageBase({self.base_name!r}, model={self.model.__name__})"


ALL_MESSAGES: dict[str, MessageBase[Any]] = {}


def message_for_topic(topic: str) -> Optional[MessageBase[Any]]:
    """The registered message type of `topic`, if any."""
    return ALL_MESSAGES.get(topic)
