#!/usr/bin/env bash
# Installs a built tree (default build/release) to a temporary prefix, checks what is there,
# then builds and runs a consumer with find_package(MessageAPI) (shared and static) and with
# pkg-config (shared and static).
set -euo pipefail
source "$(dirname "$0")/env.sh"
build=${1:-build/release}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
for f in lib/libmessageapi.so lib/libmessageapi.so.1 lib/libmessageapi.a include/messageapi.h include/messageapi/messageapi.F90 include/messageapi/messageapi_c.F90 \
         lib/cmake/MessageAPI/MessageAPIConfig.cmake lib/cmake/MessageAPI/MessageAPIConfigVersion.cmake \
         lib/pkgconfig/messageapi.pc; do
  [ -e "$prefix/$f" ] || { echo "FAILED: $f is not installed"; exit 1; }
done
soname=$(readelf -d "$prefix/lib/libmessageapi.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libmessageapi.so.1" ] || { echo "FAILED: SONAME is '$soname'"; exit 1; }
echo "installed: $(cd "$prefix" && find . -type f -o -type l | sort | tr '\n' ' ')"
echo "SONAME: $soname"

cmake -S tests/packaging -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake" >/dev/null
"$work/cmake/consumer"
"$work/cmake/consumer_static"
"$work/cmake/consumer_fortran" | grep -q "fortran consumer OK" || { echo "FAILED: the Fortran consumer"; exit 1; }
echo "fortran consumer OK"
! ldd "$work/cmake/consumer_static" | grep -q messageapi || { echo "FAILED: consumer_static links the shared library"; exit 1; }

export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# shellcheck disable=SC2046
cc tests/packaging/consumer.c $(pkg-config --cflags --libs messageapi) -Wl,-rpath,"$prefix/lib" -o "$work/consumer-pc"
"$work/consumer-pc"
# shellcheck disable=SC2046
cc tests/packaging/consumer.c $(pkg-config --cflags messageapi) "$prefix/lib/libmessageapi.a" \
   $(pkg-config --static --libs messageapi | sed 's/-lmessageapi//; s/-L[^ ]*//') -o "$work/consumer-pc-static"
"$work/consumer-pc-static"
echo "packaging OK"
