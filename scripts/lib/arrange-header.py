#!/usr/bin/env python3
"""Puts each constant and typedef of cbindgen's header in the section of the functions that
use it, as librdkafka's header does (cbindgen writes them all before the first section).

An item goes to the first section (`// ## ...`) whose function prototypes name it, just after
the section's introduction (its `// ---` line); constants no prototype names go by their
prefix. Items keep cbindgen's order within a section, so every type is declared before use
(a type goes no later than its first use). Reads the header on stdin, writes it on stdout.
"""

import re
import sys

BY_PREFIX = [
    ("MAPI_TYPE_", "Records"),
    ("MAPI_TEXT_", "Records"),
    ("MAPI_LOG_", "Logging"),
    ("MAPI_", "Version and errors"),
]


def main() -> None:
    lines = sys.stdin.read().split("\n")
    start = max(i for i, l in enumerate(lines) if l.startswith("#include ")) + 1
    extern = lines.index("#ifdef __cplusplus", start)
    # The items: comment lines, then a definition ending with ';' or a #define line.
    items, current = [], []
    for line in lines[start:extern]:
        if not line.strip():
            if current and not current[-1].startswith("//"):
                items.append(current)
                current = []
            continue
        current.append(line)
        if line.startswith("#define ") or (not line.startswith("//") and line.rstrip().endswith(";")):
            items.append(current)
            current = []
    if current:
        sys.exit(f"arrange-header: an item does not end: {current}")
    body = lines[extern:]
    heads = [i for i, l in enumerate(body) if l.startswith("// ## ")]
    names = [body[i][len("// ## "):].split(":")[0].strip() for i in heads]
    bounds = list(zip(heads, heads[1:] + [len(body)]))

    def name_of(item: list[str]) -> str:
        text = " ".join(l for l in item if not l.startswith("//"))
        m = re.match(r"#define (\w+)", text) or re.search(r"\(\*(\w+)\)", text) or re.search(r"(\w+)\s*;\s*$", text)
        if not m:
            sys.exit(f"arrange-header: no name in {item}")
        return m.group(1)

    def section_of(name: str) -> int:
        word = re.compile(r"\b" + re.escape(name) + r"\b")
        for s, (a, b) in enumerate(bounds):
            if any(word.search(l) for l in body[a:b] if not l.startswith("//")):
                return s
        for prefix, section in BY_PREFIX:
            if name.startswith(prefix) and section in names:
                return names.index(section)
        return 0

    placed: dict[int, list[list[str]]] = {}
    for item in items:
        placed.setdefault(section_of(name_of(item)), []).append(item)
    out = lines[:start] + [""]
    out += body[: heads[0]]
    for s, (a, b) in enumerate(bounds):
        section = body[a:b]
        cut = section.index("// ---") + 1 if "// ---" in section else 1
        out += section[:cut]
        if s in placed:
            out.append("")
            for item in placed[s]:
                out += item + [""]
            rest = section[cut:]
            if rest and rest[0] == "//":
                rest = rest[1:]
            out += rest
        else:
            out += section[cut:]
    sys.stdout.write("\n".join(out))


main()
