"""The workspaces Router over AMQP (RabbitMQ), across processes, as the seed writes it:
Router("capability") makes a topic exchange, send_message(**kwargs) publishes JSON, register(obj)
dispatches every message that is a superset of an @on_message pattern."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

from messageapi.router import Router, on_message

LISTENER = r'''
import json, sys, time
from messageapi.router import Router, on_message

class Capability:
    def __init__(self, name):
        self.message_router = Router(name, sys.argv[1])
        self.message_router.register(self)

    @on_message(service="workflow", type="delivery")
    def on_delivery(self, **message):
        print(json.dumps({"handler": "delivery", **message}), flush=True)

    @on_message(subject="capability request", state="Complete")
    def on_complete(self, **message):
        print(json.dumps({"handler": "complete", **message}), flush=True)
        if message.get("id") == 99:
            self.message_router.close()

c = Capability(sys.argv[2])
print("ready", flush=True)
c.message_router.run()
print("stopped", flush=True)
'''


def start_listener(url: str, name: str) -> subprocess.Popen[str]:
    p = subprocess.Popen([sys.executable, "-c", LISTENER, url, name], stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None
    assert p.stdout.readline().strip() == "ready"
    return p


def test_two_processes_exchange_messages_and_other_routers_do_not_see_them(rabbit: Any) -> None:
    capability = start_listener(rabbit.url, "capability")
    workflow = start_listener(rabbit.url, "workflow")
    sender = Router("capability", rabbit.url)
    assert sender.transport == "amqp"
    sender.send_message(subject="capability request", id=23, state="Complete")
    msg = {"service": "workflow", "type": "delivery", "id": 7, "extra": [1, 2]}
    sender.send_message(**msg)
    sender.send_message(service="workflow", type="other")  # matches no pattern
    sender.send_message(subject="capability request", id=99, state="Complete")  # stops the listener
    out, _ = capability.communicate(timeout=60)
    got = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert got == [
        {"handler": "complete", "subject": "capability request", "id": 23, "state": "Complete"},
        {"handler": "delivery", "service": "workflow", "type": "delivery", "id": 7, "extra": [1, 2]},
        {"handler": "complete", "subject": "capability request", "id": 99, "state": "Complete"},
    ]
    assert out.splitlines()[-1] == "stopped"
    # The "workflow" router's exchange saw none of it: stop it with its own message.
    Router("workflow", rabbit.url).send_message(subject="capability request", id=99, state="Complete")
    out, _ = workflow.communicate(timeout=60)
    got = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert got == [{"handler": "complete", "subject": "capability request", "id": 99, "state": "Complete"}]
    sender.close()


def test_handlers_in_the_same_process_and_a_failing_handler(rabbit: Any) -> None:
    got: list[dict[str, Any]] = []

    class Service:
        @on_message(kind="obs")
        def obs(self, **message: Any) -> None:
            if message.get("bad"):
                raise RuntimeError("handler bug")
            got.append(message)

    with Router("weather", rabbit.url) as router:
        router.register(Service())
        router.send_message(kind="obs", n=1)
        router.send_message(kind="obs", n=2, bad=True)  # logged, the router carries on
        router.send_message(kind="obs", n=3)
        deadline = time.time() + 30
        while len(got) < 2 and time.time() < deadline:
            time.sleep(0.05)
    assert got == [{"kind": "obs", "n": 1}, {"kind": "obs", "n": 3}]
