"""What the host allows a manifest, from Python: native code only from `native_plugin_dirs`,
paths inside `confine_paths`, and a check that loads and reads nothing. Each case runs in a
fresh interpreter (the configuration is fixed once a process's first session opens)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path


def run(code: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("MAPI_NATIVE_PLUGIN_PATH", "MAPI_CONFINE_PATHS")}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def manifest(plugin: str, constructor: dict) -> dict:
    return {
        "fields": [{"id": "path", "type": "string", "required": False}],
        "collections": [{"id": "c", "fields": ["path"]}],
        "endpoints": [{"plugin": plugin, "connections": [{"id": "conn", "collections": ["c"], "constructor": constructor}]}],
    }


def test_native_code_and_paths_need_the_hosts_consent(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    native = tmp_path / "native.json"
    native.write_text(json.dumps(manifest("native", {"native-library": "libnot-loaded.so", "symbol": "f"})))
    (tmp_path / "libnot-loaded.so").write_bytes(b"not a library: never opened")
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps(manifest("evaluation", {"token": "${env:MAPI_TEST_NEVER_SET}"})))
    out = run(
        f"""
        import messageapi as mapi

        mapi.configure(confine_paths={str(data)!r})
        print("configuration:", mapi.configuration()["confine-paths"])
        try:
            mapi.check_manifest({str(native)!r})
        except mapi.NotAllowedError as e:
            print("native refused:", e.status_name, "native-plugin-dirs" in e.message)
        mapi.check_manifest({str(secret)!r})
        print("checked without reading the secret")
        try:
            mapi.Session({str(secret)!r})
        except mapi.ManifestError as e:
            print("open reads it:", "MAPI_TEST_NEVER_SET is not set" in e.message)
        try:
            mapi.Session.from_json({manifest("file-writer", {"path": "/tmp/outside.txt"})!r})
        except mapi.NotAllowedError as e:
            print("writer refused:", isinstance(e, PermissionError), "/tmp/outside.txt" in e.message)
        s = mapi.Session.from_json({manifest("file-reader", {"file-fields": "path"})!r}, {str(data)!r})
        req = s.request()
        req.add({{"path": "/etc/passwd"}})
        resp = req.submit()
        print("rejected:", resp.rejections[0].reasons[0])
        """
    )
    assert f"configuration: ['{data.resolve()}']" in out
    assert "native refused: MAPI_ERR_NOT_ALLOWED True" in out
    assert "checked without reading the secret" in out
    assert "open reads it: True" in out
    assert "writer refused: True True" in out
    assert "rejected: connection conn: cannot read /etc/passwd: the file /etc/passwd is outside the paths the host confines files to" in out
