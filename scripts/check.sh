#!/usr/bin/env bash
# Run every test: install what is missing, build with ASan+UBSan and
# warnings as errors, run the unit, golden, lab, integration and
# differential suites, and end with the line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
builddir=${BUILDDIR:-build-check}
if [ ! -d "$builddir" ]; then
  meson setup "$builddir" -Db_sanitize=address,undefined -Dwerror=true \
    -Dbuildtype=debugoptimized >/dev/null
fi
ninja -C "$builddir"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
meson test -C "$builddir" --print-errorlogs --num-processes 2 \
  --timeout-multiplier "${TIMEOUT_MULT:-3}" "$@" || true
/usr/bin/python3 scripts/count.py "$builddir/meson-logs/testlog.json"
