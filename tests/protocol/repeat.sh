#!/usr/bin/env bash
# Runs the raw protocol tests N times and reports, per test, how many runs failed:
# a flakiness check for the timing-sensitive tests (heartbeat, timeouts, limits).
#
#   tests/protocol/repeat.sh N [node --test arguments and files]
#
# Without files, every test file of tests/protocol runs. Examples (from anywhere):
#
#   tests/protocol/repeat.sh 20
#   tests/protocol/repeat.sh 10 tests/protocol/hardening.test.js
#   tests/protocol/repeat.sh 50 --test-name-pattern=heartbeat tests/protocol/engineio.test.js
#
# Each run's spec output is kept in $REPEAT_LOG_DIR (default: a new directory under /tmp,
# printed at the end). Exits 1 if any test failed in any run, 2 on bad usage.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

runs="${1:-}"
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 N [node --test arguments and files]" >&2
  exit 2
fi
shift

args=("$@")
has_file=0
for a in "${args[@]}"; do
  [[ "$a" != -* ]] && has_file=1
done
if [ "$has_file" = 0 ]; then
  # the same set as `node --test tests/protocol/` (its *.test.js files)
  args+=("$here"/*.test.js)
fi

logs="${REPEAT_LOG_DIR:-$(mktemp -d /tmp/sio-protocol-repeat.XXXXXX)}"
mkdir -p "$logs"

# A reporter writing one line per finished test: "pass|fail<TAB>file > suite > test".
# Suites (their failure is their tests') are left out; hooks and whole-file failures
# are kept under the name node gives them.
reporter="$logs/outcomes-reporter.mjs"
cat >"$reporter" <<'EOF'
import { basename } from "node:path";
export default async function* outcomes(source) {
  const stacks = new Map(); // file -> names of the enclosing suites, by nesting level
  for await (const { type, data } of source) {
    if (type !== "test:start" && type !== "test:pass" && type !== "test:fail") continue;
    const file = data.file ?? "?";
    const stack = stacks.get(file) ?? [];
    stacks.set(file, stack);
    if (type === "test:start") {
      stack.length = data.nesting;
      stack[data.nesting] = data.name;
      continue;
    }
    if (data.details?.type === "suite") continue;
    if (data.skip || data.todo) continue;
    const path = [...stack.slice(0, data.nesting), data.name].join(" > ");
    const where = data.name === file ? basename(file) : `${basename(file)} > ${path}`;
    yield `${type === "test:pass" ? "pass" : "fail"}\t${where.replace(/\s+/g, " ")}\n`;
  }
}
EOF

cd "$root"
for ((i = 1; i <= runs; i++)); do
  node --test \
    --test-reporter=spec --test-reporter-destination="$logs/run-$i.log" \
    --test-reporter="$reporter" --test-reporter-destination="$logs/run-$i.outcomes" \
    "${args[@]}"
  rc=$?
  failed=$(grep -c '^fail' "$logs/run-$i.outcomes" || true)
  passed=$(grep -c '^pass' "$logs/run-$i.outcomes" || true)
  printf 'run %d/%d: %d passed, %d failed (node exit %d)\n' "$i" "$runs" "$passed" "$failed" "$rc"
  if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then
    # node failed without a failing test (a crash, a file that did not load)
    printf 'fail\t(run %d exited %d without a failing test: see %s)\n' "$i" "$rc" "$logs/run-$i.log" >>"$logs/run-$i.outcomes"
  fi
done

echo
echo "== failures per test over $runs runs (logs: $logs)"
cat "$logs"/run-*.outcomes |
  awk -F'\t' -v runs="$runs" '
    { seen[$2] = 1; if ($1 == "fail") fails[$2]++ }
    END {
      n = 0
      for (t in fails) { printf "%4d/%d  %s\n", fails[t], runs, t; n++ }
      if (n == 0) { printf "none (%d tests)\n", length(seen) }
    }' | sort -k1,1nr -k2

if grep -q '^fail' "$logs"/run-*.outcomes; then
  exit 1
fi
