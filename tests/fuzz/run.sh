#!/usr/bin/env bash
# tests/fuzz/run.sh SECONDS: build the libFuzzer targets with clang
# (-fsanitize=fuzzer,address,undefined) and run each for SECONDS on its
# corpus.  TAP: one test a target; SKIP without clang's fuzzer runtime.
set -uo pipefail
secs=${1:-20}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
if ! command -v clang >/dev/null; then echo "1..0 # SKIP clang is not installed"; exit 0; fi
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
srcs=$(cd "$top" && ls src/*.c src/out/*.c src/template/*.c modules/*.c | grep -v 'src/main.c')
cflags=$(pkg-config --cflags libssh yaml-0.1 libpcre2-8 libgit2 ncursesw libcrypto)
libs=$(pkg-config --libs libssh yaml-0.1 libpcre2-8 libgit2 ncursesw libcrypto)
# Compile the library once (two at a time), then link each target.
cc=(clang -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer-no-link,address,undefined -Isrc -Imodules $cflags)
n=0 failed=0
if ! (cd "$top" && printf '%s\n' $srcs | xargs -P 2 -I{} sh -c \
      "${cc[*]} -c {} -o $out/\$(echo {} | tr / _).o") >"$out/build.log" 2>&1; then
  echo "not ok 1 - the library builds with clang"; sed 's/^/# /' "$out/build.log" | tail -20; echo "1..1"; exit 1
fi
ar rcs "$out/libmuster_fuzz.a" "$out"/*.o
for t in yaml ini template; do
  n=$((n+1))
  if ! (cd "$top" && clang -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
        -Isrc -Imodules $cflags "tests/fuzz/fuzz_$t.c" "$out/libmuster_fuzz.a" $libs -lpthread -lm \
        -o "$out/fuzz_$t") >"$out/build_$t.log" 2>&1; then
    if grep -q "libclang_rt.fuzzer" "$out/build_$t.log"; then
      echo "ok $n - fuzz_$t # SKIP no libFuzzer runtime"; continue
    fi
    echo "not ok $n - fuzz_$t builds"; sed 's/^/# /' "$out/build_$t.log" | tail -20; failed=$((failed+1)); continue
  fi
  mkdir -p "$out/corpus_$t"; cp "$here/corpus_$t"/* "$out/corpus_$t/"
  if "$out/fuzz_$t" -max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$out/" \
      "$out/corpus_$t" >"$out/run_$t.log" 2>&1; then
    echo "ok $n - fuzz_$t ran ${secs}s without a crash ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$out/run_$t.log" | awk '{print $2}') runs)"
  else
    echo "not ok $n - fuzz_$t found a crash"; grep -A20 'ERROR\|runtime error' "$out/run_$t.log" | head -40 | sed 's/^/# /'
    failed=$((failed+1))
  fi
done
echo "1..$n"
[ $failed = 0 ]
