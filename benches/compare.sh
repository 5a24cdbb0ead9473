#!/usr/bin/env bash
# Compares builds of tollgate by their bench ratios: runs each `tollgate-bench` binary in
# turn, RUNS times (A B A B …, so a slow spell of the box hits every build alike), and prints
# each scenario's paired ratio against the echo per run, then per build the median, mean and
# spread over the runs. One run's paired ratio moves by about ±0.05 on a 2-core box; compare
# medians of 8 or more runs.
#
#   cargo build --release -p tollgate-bench && cp target/release/tollgate-bench /tmp/bench-a
#   (change, build again)                   && cp target/release/tollgate-bench /tmp/bench-b
#   benches/compare.sh /tmp/bench-a /tmp/bench-b
#
# Environment: RUNS (8), ONLY (the bench's --only, "relay"), UPDATES (1000), ROUNDS (5),
# TEST_DATABASE_URL (the PostgreSQL rows run only with it, as in the bench).
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 BINARY [BINARY…]" >&2
  exit 2
fi
for bin in "$@"; do
  [ -x "$bin" ] || { echo "$bin: not an executable" >&2; exit 2; }
done
RUNS=${RUNS:-8} ONLY=${ONLY:-relay} UPDATES=${UPDATES:-1000} ROUNDS=${ROUNDS:-5}
out=$(mktemp)
trap 'rm -f "$out" "$out.err"' EXIT

for run in $(seq 1 "$RUNS"); do
  for bin in "$@"; do
    if ! table=$(RUST_LOG=warn "$bin" --updates "$UPDATES" --rounds "$ROUNDS" \
      --only "$ONLY" 2>"$out.err"); then
      echo "$bin bench failed (run $run):" >&2
      tail -n 5 "$out.err" >&2
      exit 1
    fi
    # The table's rows: "<scenario>  <updates>  <median/s>  <ratio>  <paired>  …"; the echo
    # row is the baseline itself.
    printf '%s\n' "$table" |
      sed -nE 's/^(.*\))[[:space:]]+[0-9]+[[:space:]]+([0-9.]+)[[:space:]]+[0-9.]+[[:space:]]+([0-9.]+).*/\1\t\2\t\3/p' |
      { grep -v '^echo' || true; } |
      while IFS=$'\t' read -r scenario rate paired; do
        printf '%s\t%s\t%s\t%s\t%s\n' "$bin" "$run" "$scenario" "$rate" "$paired" | tee -a "$out"
      done
  done
done

[ -s "$out" ] || { echo "no bench rows: does --only '$ONLY' name a scenario?" >&2; exit 1; }
echo
printf '%-40s %-32s %7s %7s %7s %5s\n' build scenario median mean sd runs
cut -f1,3 "$out" | sort -u | while IFS=$'\t' read -r bin scenario; do
  awk -F'\t' -v b="$bin" -v s="$scenario" '$1 == b && $3 == s { print $5 }' "$out" | sort -g |
    awk -v b="$bin" -v s="$scenario" '
      { v[NR] = $1; sum += $1; sq += $1 * $1 }
      END {
        med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        mean = sum / NR; var = sq / NR - mean * mean
        printf "%-40s %-32s %7.3f %7.3f %7.3f %5d\n", b, s, med, mean, sqrt(var > 0 ? var : 0), NR
      }'
done
