#!/usr/bin/env bash
# The ABI gate: fails when the library breaks the 1.0 ABI recorded in abi/ (docs/abi-policy.md),
# passes on additions. Checks, against the baseline:
#   - every baseline symbol is still exported, and the library exports mapi_* only;
#   - the SONAME is the baseline's, and the library is linked -z nodelete;
#   - every baseline prototype and callback typedef is declared alike by the current header
#     (the baseline's declarations are compiled after it: a changed one is a conflicting type);
#   - every baseline constant has its value (a _Static_assert each).
#
#   scripts/lib/check-abi.sh [HEADER [LIBRARY]]
#     HEADER   default include/messageapi.h
#     LIBRARY  default target/release/libmessageapi.so (built first when missing)
set -euo pipefail
source "$(dirname "$0")/env.sh"
header=${1:-include/messageapi.h}
lib=${2:-target/release/libmessageapi.so}
baseline=abi/messageapi-1.0.h
if [ ! -f "$lib" ] && [ "$lib" = target/release/libmessageapi.so ]; then
  cargo build --release --locked --quiet -p messageapi --lib
fi
fail=0
broken() { echo "ABI break: $*" >&2; fail=1; }

# Symbols and SONAME.
exported=$(nm -D --defined-only "$lib" | awk '{print $3}' | sort)
while read -r sym; do
  grep -qx "$sym" <<<"$exported" || broken "symbol $sym is no longer exported"
done < abi/symbols-1.0.txt
others=$(grep -v '^mapi_' <<<"$exported" || true)
[ -z "$others" ] || broken "exports beyond mapi_*: $(echo $others)"
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = "$(cat abi/soname-1.0.txt)" ] || broken "SONAME $soname, not $(cat abi/soname-1.0.txt)"
readelf -d "$lib" | grep -q 'FLAGS_1.*NODELETE' || broken "not linked -z nodelete"

# Declarations and constants: the baseline's, compiled after the current header.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$baseline" "$tmp/check.c" "$(cd "$(dirname "$header")" && pwd)/$(basename "$header")" <<'PY'
import re, sys
baseline, out, header = sys.argv[1:]
text = open(baseline).read()
# Every declaration after the includes (typedefs and prototypes), without comments, macros
# and the extern "C" wrapper.
body = text[text.rindex("#include "):].split("\n", 1)[1]
lines = [l for l in body.split("\n") if not l.startswith("//") and not l.startswith("#")]
decls = "\n".join(l for l in lines if l.strip() and l.strip() not in ("extern \"C\" {", "}  // extern \"C\"", "*/"))
asserts = []
for m in re.finditer(r"(?m)^#define (MAPI_\w+) (.+)$", text):
    name, value = m.group(1), m.group(2)
    if name.startswith("MAPI_VERSION_"):
        continue  # the version moves by design; the ABI version does not
    asserts.append(f'_Static_assert(({name}) == ({value}), "{name} keeps its value {value}");')
with open(out, "w") as f:
    f.write(f'#include "{header}"\n/* The 1.0 declarations: each must agree with the header above. */\n')
    f.write(decls + "\n")
    f.write("\n".join(asserts) + "\n")
PY
if ! cc -std=c11 -Wall -Werror -fsyntax-only "$tmp/check.c" 2>"$tmp/cc.log"; then
  broken "declarations or constants differ from the 1.0 header:"
  grep -E "error" "$tmp/cc.log" | head -20 >&2
fi
if [ "$fail" -ne 0 ]; then
  echo "the ABI gate failed (docs/abi-policy.md: within 1.x only additions)" >&2
  exit 1
fi
echo "ABI: compatible with 1.0 ($(wc -l < abi/symbols-1.0.txt) symbols, $(grep -c '^#define MAPI_' "$baseline") constants, SONAME $soname)"
