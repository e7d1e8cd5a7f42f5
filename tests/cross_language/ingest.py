"""The cross-language scenario from Python (see README.md): five records, every field type."""

from __future__ import annotations

import sys
from pathlib import Path

import messageapi


def main(manifest: str, out_dir: str) -> None:
    limit = {"count-below": 100}
    with messageapi.Session(manifest, root=out_dir) as session, session.request() as request:
        request.add(id="a1", station="KILX", count=7, ratio=0.25, single=1.5, ok=True,
                    when="2019-05-06T12:30:00Z", ids=[1, 2, 3], temps=[20.5, -3.25],
                    tags=["x", "y z"], extra={"k": [1, None]}, conditions=limit)
        request.add(id="a2", station="KILX", count=12, ratio=-0.001, single=0.1, ok=False,
                    when="2020-01-01T00:00:00+02:00", ids=[-9007199254740993], temps=[0.0],
                    tags=[], extra="text", conditions=limit)
        request.add(station="KORD", count=1, conditions=limit)
        request.add(id="a4", station="KORD", count=500, conditions=limit)
        request.add(id="a5", station="KORD", count=3, conditions=limit)
        response = request.submit().wait()
        lines = [f"records: {len(response.records)}", f"rejections: {len(response.rejections)}"]
        for i, rejection in enumerate(response.rejections, 1):
            rid = rejection.record.get("id")
            ident = "(null)" if rid is None else rid
            lines.append(f"rejection {i}: id={ident}: " + " ".join(rejection.reasons))
        Path(out_dir, "summary.txt").write_text("\n".join(lines) + "\n")
        print(f"Python: {len(response.records)} records, {len(response.rejections)} rejections")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
