#!/usr/bin/env bash
# fuzz/run.sh SECONDS [TARGET...]: builds the fuzz targets and runs each one for SECONDS,
# one after the other (never two fuzzers at once), then prints the executions and peak
# RSS per target. Fails if a target crashed, timed out (-timeout=5 per input) or went
# over -rss_limit_mb=512.
#
# Needs a nightly toolchain; installs cargo-fuzz if it is missing. Inputs: the seeds in
# fuzz/corpus/<target>/ (committed) and the crashers kept in fuzz/regressions/<target>/;
# what the fuzzer finds goes to fuzz/corpus-gen/<target>/, crash artifacts to
# fuzz/artifacts/<target>/, logs to fuzz/logs/ (all gitignored).
#
# Environment: FUZZ_SANITIZER (default none: the code under test is safe Rust; `address`
# works too, ~2x slower), FUZZ_MAX_LEN (default 8192), FUZZ_TOOLCHAIN (default nightly),
# FUZZ_BUILD_ARGS (extra `cargo fuzz build/run` options, e.g. `--dev` or
# `--codegen-units 16` for a faster build of a short run).
set -euo pipefail
cd "$(dirname "$0")"

usage="usage: fuzz/run.sh SECONDS [TARGET...]"
secs=${1:?$usage}
[[ "$secs" =~ ^[0-9]+$ ]] || { echo "$usage" >&2; exit 2; }
shift
all=(engine_packet polling_payload eio3_payload socketio_decoder socketio_msgpack client_handshake permessage_deflate redis_codec redis_cluster)
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all[@]}"); fi

toolchain=${FUZZ_TOOLCHAIN:-nightly}
# shellcheck disable=SC2206 # word splitting of the extra options is intended
opts=(--sanitizer "${FUZZ_SANITIZER:-none}" ${FUZZ_BUILD_ARGS:-})
max_len=${FUZZ_MAX_LEN:-8192}

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz not found: cargo install cargo-fuzz --locked"
  cargo install cargo-fuzz --locked
fi

echo "building fuzz targets (cargo +$toolchain fuzz build ${opts[*]})"
build_start=$SECONDS
cargo "+$toolchain" fuzz build "${opts[@]}"
echo "built in $((SECONDS - build_start)) s"

mkdir -p logs
failed=()
rows=()
for t in "${targets[@]}"; do
  [ -d "corpus/$t" ] || { echo "unknown target $t (no fuzz/corpus/$t)" >&2; exit 2; }
  mkdir -p "corpus-gen/$t"
  dirs=("corpus-gen/$t" "corpus/$t")
  [ -d "regressions/$t" ] && dirs+=("regressions/$t")
  log="logs/$t.log"
  echo "fuzzing $t for ${secs} s (log: fuzz/$log)"
  status=ok
  if ! cargo "+$toolchain" fuzz run "${opts[@]}" "$t" "${dirs[@]}" -- \
      -max_total_time="$secs" -rss_limit_mb=512 -timeout=5 -max_len="$max_len" \
      -print_final_stats=1 >"$log" 2>&1; then
    status=FAILED
  fi
  if grep -qE '^==[0-9]+== ERROR: libFuzzer|^SUMMARY: libFuzzer|deadly signal|panicked at' "$log"; then
    status=FAILED
  fi
  runs=$(awk '/^stat::number_of_executed_units:/ {print $2}' "$log" | tail -1)
  rss=$(awk '/^stat::peak_rss_mb:/ {print $2}' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}')
  corpus=$(find "corpus-gen/$t" -type f | wc -l)
  rows+=("$(printf '%-18s %-7s %14s %10s %8s %8s' "$t" "$status" "${runs:-?}" "${rss:-?}" "${cov:-?}" "$corpus")")
  if [ "$status" != ok ]; then
    failed+=("$t")
    echo "--- $t failed; end of fuzz/$log:"
    tail -40 "$log"
  fi
done

printf '\n%-18s %-7s %14s %10s %8s %8s\n' target status executions peak_rss_mb cov corpus
printf '%s\n' "${rows[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]} (inputs in fuzz/artifacts/<target>/)" >&2
  exit 1
fi
