#!/usr/bin/env bash
# Tests the ABI gate (check-abi.sh): it passes on the library as built and on additions, and
# fails on each kind of break planted in a scratch copy of the header or in a stand-in library:
# a changed prototype, a changed callback typedef, a changed or removed constant, a removed
# symbol, a changed SONAME, an export beyond mapi_*, a library without -z nodelete.
#
#   scripts/lib/test-abi-gate.sh LIBRARY     (the built libmessageapi.so)
set -euo pipefail
source "$(dirname "$0")/env.sh"
lib=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
gate() { scripts/lib/check-abi.sh "$@" >"$tmp/out" 2>&1; }
expect_pass() {
  local what=$1; shift
  if gate "$@"; then echo "ok: $what passes"; else echo "FAILED: $what should pass:"; cat "$tmp/out"; failures=$((failures + 1)); fi
}
expect_fail() {
  local what=$1 says=$2; shift 2
  if gate "$@"; then
    echo "FAILED: $what passed the gate"; failures=$((failures + 1))
  elif ! grep -q -- "$says" "$tmp/out"; then
    echo "FAILED: $what failed without saying \"$says\":"; cat "$tmp/out"; failures=$((failures + 1))
  else
    echo "ok: $what fails ($says)"
  fi
}
# A copy of the header with one line replaced (python: exact text, must be found).
planted() {
  python3 - "$1" "$2" "$3" "$4" <<'PY'
import sys
src, out, old, new = sys.argv[1:]
text = open(src).read()
if old not in text:
    sys.exit(f"test-abi-gate: {old!r} is not in the header")
open(out, "w").write(text.replace(old, new, 1))
PY
}
h=include/messageapi.h

expect_pass "the library as built" "$h" "$lib"
planted "$h" "$tmp/added.h" "#define MAPI_ERR_NOT_ALLOWED 18" "#define MAPI_ERR_NOT_ALLOWED 18
#define MAPI_ERR_SOMETHING_NEW 19
int32_t mapi_something_new(void);"
expect_pass "an added constant and function" "$tmp/added.h" "$lib"

planted "$h" "$tmp/proto.h" "size_t mapi_response_record_count(const mapi_response *response);" \
  "int64_t mapi_response_record_count(const mapi_response *response);"
expect_fail "a changed prototype" "differ from the 1.0 header" "$tmp/proto.h" "$lib"
planted "$h" "$tmp/typedef.h" "typedef void (*mapi_log_fn)(int32_t level, const char *message, void *user_data);" \
  "typedef void (*mapi_log_fn)(int32_t level, const char *message);"
expect_fail "a changed callback typedef" "differ from the 1.0 header" "$tmp/typedef.h" "$lib"
planted "$h" "$tmp/constant.h" "#define MAPI_ERR_IO 10" "#define MAPI_ERR_IO 99"
expect_fail "a changed constant" "MAPI_ERR_IO keeps its value" "$tmp/constant.h" "$lib"
planted "$h" "$tmp/removed.h" "#define MAPI_ERR_JSON 12" ""
expect_fail "a removed constant" "differ from the 1.0 header" "$tmp/removed.h" "$lib"

# A stand-in library: every 1.0 symbol but one, a new SONAME, a helper exported, no nodelete.
missing=mapi_response_record_count
{
  grep -vx "$missing" abi/symbols-1.0.txt | sed 's/.*/void &(void) {}/'
  echo "void helper_outside_the_prefix(void) {}"
} > "$tmp/standin.c"
cc -shared -fPIC -o "$tmp/libstandin.so" -Wl,-soname,libmessageapi.so.2 "$tmp/standin.c"
expect_fail "a removed or renamed symbol" "symbol $missing is no longer exported" "$h" "$tmp/libstandin.so"
expect_fail "a changed SONAME" "SONAME libmessageapi.so.2" "$h" "$tmp/libstandin.so"
expect_fail "an export beyond mapi_*" "exports beyond mapi_\*: helper_outside_the_prefix" "$h" "$tmp/libstandin.so"
expect_fail "a library without -z nodelete" "not linked -z nodelete" "$h" "$tmp/libstandin.so"

if [ "$failures" -ne 0 ]; then echo "abi gate: $failures FAILED"; exit 1; fi
echo "abi gate OK"
