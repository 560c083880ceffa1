#!/usr/bin/env bash
# Every casematch benchmark in one run: inputs, agreement, throughput against jq and
# Python, --jobs scaling, peak memory on 1M profiles, cold start, and (with --criterion)
# the cargo bench micro-benchmarks. Results are printed; docs/performance.md records them.
#
#   benches/run.sh [--runs N] [--count N] [--no-1m] [--no-pgo] [--criterion]
#
# --count sets the number of profiles of the throughput runs (default 100000, the
# targets' size); --no-1m skips the 1M-profile memory run. The binary measured is the
# profile-guided release build of benches/pgo.sh, built for this machine's CPU (its
# TARGET_CPU applies); the plain `cargo build --release`, which runs on any x86-64, is
# timed beside it on the full rule set. --no-pgo measures the plain build alone.
#
# Inputs and outputs go under target/bench/ (never committed). Needs jq and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=5
CRITERION=0
PGO=1
N=100000
MILLION=1
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --count) N="$2"; shift 2 ;;
    --no-1m) MILLION=0; shift ;;
    --no-pgo) PGO=0; shift ;;
    --criterion) CRITERION=1; shift ;;
    *) echo "usage: $0 [--runs N] [--count N] [--no-1m] [--no-pgo] [--criterion]" >&2; exit 2 ;;
  esac
done

OUT=target/bench
mkdir -p "$OUT"
PLAIN=target/release/casematch
BIN=$PLAIN
CORE=under_recall,under_suspicion,immediate_family_abroad,confided_in_outsiders

echo "== machine"
echo "nproc: $(nproc); cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
jq --version; python3 --version

echo "== build"
cargo build --release --quiet
if [ "$PGO" = 1 ] && PGO_BIN=$(benches/pgo.sh); then
  BIN=$PGO_BIN
  echo "measured: $BIN (profile-guided, for the CPU pgo.sh names above), beside $PLAIN (plain release build)"
else
  [ "$PGO" = 1 ] && echo "no profile-guided build (see above): the plain build alone" >&2
  echo "measured: $BIN (plain release build)"
fi
echo "rules shipped: $($BIN score -q -f ndjson fixtures/cases/20-petrov.json | jq '.findings | length')"

IN="$OUT/$N.ndjson"
if [ ! -s "$IN" ]; then
  echo "== generating $IN"
  python3 benches/gen.py "$N" > "$IN"
fi
echo "input: $IN, $(wc -l < "$IN") profiles, $(du -m "$IN" | cut -f1) MB"
# The worst case for remembered answers: every free-text value numbered per profile.
UNIQ="$OUT/$N-unique.ndjson"
if [ ! -s "$UNIQ" ]; then
  echo "== generating $UNIQ"
  python3 benches/gen.py --unique "$N" > "$UNIQ"
fi

echo "== agreement on every verdict (jq, python, casematch --only $CORE)"
jq -c -S -f benches/indicators.jq "$IN" > "$OUT/verdicts.jq"
python3 benches/indicators.py < "$IN" > "$OUT/verdicts.py"
"$BIN" score -q -f ndjson --only "$CORE" "$IN" \
  | jq -c -S '{id: .id} + ([.findings[] | {(.rule): .verdict}] | add)' > "$OUT/verdicts.cm"
if cmp -s "$OUT/verdicts.jq" "$OUT/verdicts.py" && cmp -s "$OUT/verdicts.jq" "$OUT/verdicts.cm"; then
  echo "agree: $(wc -l < "$OUT/verdicts.jq") profiles x 4 indicators"
else
  echo "DISAGREE: see diff $OUT/verdicts.{jq,py,cm}" >&2
  exit 1
fi
echo "== remembered answers change nothing (all rules, with and without --no-cache)"
for f in "$IN" "$UNIQ"; do
  "$BIN" score -f ndjson "$f" > "$OUT/cached.ndjson" 2> "$OUT/cached.err"
  "$BIN" score -q -f ndjson --no-cache "$f" > "$OUT/fresh.ndjson"
  if cmp -s "$OUT/cached.ndjson" "$OUT/fresh.ndjson"; then
    echo "identical: $f ($(wc -l < "$OUT/fresh.ndjson") reports)"
  else
    echo "DIFFER: $f: see diff $OUT/{cached,fresh}.ndjson" >&2
    exit 1
  fi
  tail -n 1 "$OUT/cached.err"   # the summary: how many answers were remembered
done

# median wall seconds of RUNS runs of "$@" (stdout discarded)
median() {
  local times=()
  for _ in $(seq "$RUNS"); do
    times+=("$(wall "$@")")
  done
  printf '%s\n' "${times[@]}" | middle
}

# wall seconds of one run of "$@" (stdout discarded)
wall() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@" > /dev/null
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}

middle() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

report() { # name seconds
  printf '%-44s %8.2f s  %9.0f profiles/s\n' "$1" "$2" "$(echo "$N / $2" | bc -l)"
}

echo "== throughput, $N profiles, NDJSON in and out, median of $RUNS"
t_jq=$(median jq -c -f benches/indicators.jq "$IN");            report "jq (4 core indicators)" "$t_jq"
t_py=$(median sh -c "python3 benches/indicators.py < $IN");     report "python3 (4 core indicators)" "$t_py"
t_c4=$(median "$BIN" score -q -f ndjson --only "$CORE" "$IN");  report "casematch --only core (4), all cores" "$t_c4"
# --jobs 1 and --jobs 2 in turns, so that the drift of a shared machine falls on both
# alike; their ratio is the median of the ratios of each pair. Beside it, what the machine
# itself gives: two separate --jobs 1 processes at once against one alone.
# With the profile-guided binary measured, the plain build's --jobs 2 takes its turn in
# the same rounds.
j1s=(); j2s=(); ratios=(); machine=(); plains=()
for _ in $(seq "$RUNS"); do
  a=$(wall "$BIN" score -q -f ndjson --jobs 1 "$IN")
  b=$(wall "$BIN" score -q -f ndjson --jobs 2 "$IN")
  p=$(wall sh -c "'$BIN' score -q -f ndjson --jobs 1 '$IN' > /dev/null & '$BIN' score -q -f ndjson --jobs 1 '$IN'; wait")
  if [ "$BIN" != "$PLAIN" ]; then plains+=("$(wall "$PLAIN" score -q -f ndjson --jobs 2 "$IN")"); fi
  j1s+=("$a"); j2s+=("$b")
  ratios+=("$(echo "$a / $b" | bc -l)")
  machine+=("$(echo "2 * $a / $p" | bc -l)")
done
t_j1=$(printf '%s\n' "${j1s[@]}" | middle);                      report "casematch all rules --jobs 1" "$t_j1"
t_j2=$(printf '%s\n' "${j2s[@]}" | middle);                      report "casematch all rules --jobs 2" "$t_j2"
if [ "${#plains[@]}" -gt 0 ]; then
  t_plain=$(printf '%s\n' "${plains[@]}" | middle);              report "the same, plain release build" "$t_plain"
fi
r_jobs=$(printf '%s\n' "${ratios[@]}" | middle)
r_machine=$(printf '%s\n' "${machine[@]}" | middle)
t_u=$(median "$BIN" score -q -f ndjson "$UNIQ");                report "casematch all rules, unique input" "$t_u"
t_c4u=$(median "$BIN" score -q -f ndjson --only "$CORE" "$UNIQ"); report "casematch --only core (4), unique input" "$t_c4u"
t_jqu=$(median jq -c -f benches/indicators.jq "$UNIQ");         report "jq (4 core indicators), unique input" "$t_jqu"
t_n1=$(RUNS=1 median "$BIN" score -q -f ndjson --no-cache --jobs 1 "$IN"); report "casematch all rules --no-cache --jobs 1 (1 run)" "$t_n1"
t_n2=$(RUNS=1 median "$BIN" score -q -f ndjson --no-cache --jobs 2 "$IN"); report "casematch all rules --no-cache --jobs 2 (1 run)" "$t_n2"
echo "core indicators vs jq: $(echo "$t_jq / $t_c4" | bc -l | cut -c1-5)x (target >= 3); unique input: $(echo "$t_jqu / $t_c4u" | bc -l | cut -c1-5)x"
echo "--jobs 2 vs --jobs 1:  $(echo "$r_jobs" | cut -c1-5)x, median of $RUNS pairs (target >= 1.7); --no-cache: $(echo "$t_n1 / $t_n2" | bc -l | cut -c1-5)x"
echo "two --jobs 1 processes at once vs one alone: $(echo "$r_machine" | cut -c1-5)x (what the machine gives)"

if [ "$MILLION" = 1 ]; then
  echo "== 1M profiles, all rules, from a pipe: peak RSS"
  python3 benches/gen.py 1000000 \
    | /usr/bin/time -f "casematch peak RSS %M KB, %e s wall" "$BIN" score -q -f ndjson - > /dev/null
  echo "== 1M unique profiles (remembered answers grow to their budget): peak RSS"
  python3 benches/gen.py --unique 1000000 \
    | /usr/bin/time -f "casematch peak RSS %M KB, %e s wall" "$BIN" score -q -f ndjson - > /dev/null
fi

echo "== cold process, one profile, all rules (median of 21)"
t_cold=$(RUNS=21 median "$BIN" score -q -f ndjson fixtures/cases/20-petrov.json)
printf 'cold start: %.1f ms (target < 30)\n' "$(echo "$t_cold * 1000" | bc -l)"

if [ "$CRITERION" = 1 ]; then
  echo "== criterion micro-benchmarks"
  cargo bench --bench scoring
fi
