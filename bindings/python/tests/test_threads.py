"""The process configuration from Python, and fork(). Each case runs in a fresh interpreter: the
configuration is fixed for a process once its first session opens (this test process has opened
many)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


# One line: it is put into the indented programs below.
MANIFEST = (
    '{"fields": [{"id": "x", "type": "integer", "required": True}], "collections": [{"id": "c", "fields": ["x"]}], '
    '"endpoints": [{"plugin": "py-where", "connections": [{"id": "where", "collections": ["c"]}]}]}'
)


def test_configure_workers_0_runs_callbacks_on_the_submitting_thread() -> None:
    out = run(
        f"""
        import threading
        import messageapi as mapi

        threads = []

        @mapi.endpoint("py-where")
        def where(call):
            threads.append(threading.get_ident())
            for r in call.records:
                call.add(x=r["x"] * 2)

        try:
            mapi.configure(thread_count=2)
        except mapi.InvalidArgumentError as e:
            print("refused:", e.message)
        mapi.configure(workers=0, stack_bytes="8M")
        session = mapi.Session.from_json({MANIFEST})
        try:
            mapi.configure(workers=2)
        except mapi.TooLateError as e:
            print("too late:", e.status_name)
        print("configuration:", mapi.configuration())
        req = session.request()
        for i in range(3):
            req.add({{"x": i}})
        resp = req.submit()
        print("complete at once:", resp.done)
        print("records:", [r["x"] for r in resp.records])
        print("on the submitting thread:", threads == [threading.get_ident()])
        """
    )
    assert 'refused: mapi_configure: unknown key "thread-count"' in out
    assert "too late: MAPI_ERR_TOO_LATE" in out
    assert (
        "configuration: {'workers': 0, 'max-workers': 64, 'stack-bytes': 8388608, 'native-plugin-dirs': [], "
        "'confine-paths': None}" in out
    )
    assert "complete at once: True" in out
    assert "records: [0, 2, 4]" in out
    assert "on the submitting thread: True" in out


def test_a_forked_child_uses_the_parents_session() -> None:
    out = run(
        f"""
        import multiprocessing
        import messageapi as mapi

        @mapi.endpoint("py-where")
        def where(call):
            for r in call.records:
                call.add(x=r["x"] + 1)

        session = mapi.Session.from_json({MANIFEST})

        def submit(n):
            req = session.request()
            for i in range(n):
                req.add({{"x": i}})
            return [r["x"] for r in req.submit().wait(timeout=10).records]

        def child(queue):
            queue.put(submit(4))

        print("parent before:", submit(2))
        ctx = multiprocessing.get_context("fork")
        queue = ctx.Queue()
        p = ctx.Process(target=child, args=(queue,))
        p.start()
        print("child:", queue.get(timeout=30))
        p.join(timeout=30)
        print("child exit:", p.exitcode)
        print("parent after:", submit(3))
        """
    )
    assert "parent before: [1, 2]" in out
    assert "child: [1, 2, 3, 4]" in out
    assert "child exit: 0" in out
    assert "parent after: [1, 2, 3]" in out
