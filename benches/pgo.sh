#!/usr/bin/env bash
# Builds a profile-guided release binary of casematch: an instrumented build scores a
# training batch, and the release build is then laid out by what that run did (hot paths
# together and straight, cold ones out of the way). Same code, same output; batch
# scoring about a seventh faster on this project's machine, and a little more again for
# its own CPU (docs/performance.md).
#
#   benches/pgo.sh                       # prints the binary's path: target/pgo/casematch
#   TARGET_CPU=x86-64 benches/pgo.sh     # a binary for any x86-64 CPU, not this one's
#
# The binary is built for this machine's CPU (`-Ctarget-cpu=native`, or TARGET_CPU):
# it is trained here and measured here, and may not start on an older CPU.
#
# Needs rustup's llvm-tools component (for llvm-profdata, matching rustc's LLVM),
# added here if it is missing, and python3 for the training inputs. The training
# profiles come from benches/gen.py with a seed of their own, never the benchmark's
# inputs. Two release builds: about 8 minutes on two cores, and about 4 GB under
# target/pgo/ (each build keeps a target directory of its own).
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=target/pgo
RAW="$PWD/$DIR/raw"
CPU="-Ctarget-cpu=${TARGET_CPU:-native}"
mkdir -p "$DIR/train"

host=$(rustc -vV | sed -n 's/^host: //p')
profdata="$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-profdata"
if [ ! -x "$profdata" ]; then
  echo "pgo: adding rustup's llvm-tools component (for llvm-profdata)" >&2
  rustup component add llvm-tools >&2 || {
    echo "pgo: llvm-tools could not be added; no profile-guided build" >&2
    exit 1
  }
fi

# What a batch run meets: profiles that repeat what rules look at, and profiles whose
# free text all differs (remembered answers miss, rules run). Seed 7, not the
# benchmark's 1955.
train="$DIR/train/train.ndjson"
unique="$DIR/train/unique.ndjson"
[ -s "$train" ] || python3 benches/gen.py 20000 7 > "$train"
[ -s "$unique" ] || python3 benches/gen.py --unique 5000 7 > "$unique"

echo "pgo: instrumented build, $CPU" >&2
# More value-profile slots than LLVM's default: the rule engine's indirect calls have more
# targets than it tracks, and says so on every run.
RUSTFLAGS="$CPU -Cprofile-generate=$RAW -Cllvm-args=-vp-counters-per-site=8" cargo build --release --quiet --target-dir "$DIR/gen"
# The build scripts were instrumented too, and wrote profiles as they ran: only the
# training runs' count.
rm -rf "$RAW"
gen="$DIR/gen/release/casematch"
# Training is not repeatable to the bit (the counts differ a little from run to run), so
# a new profile would rebuild every crate each time: an unchanged instrumented binary
# and script keep the last optimised build.
stamp=$(cat "$gen" "$0" | sha256sum | cut -c1-16)
if [ -x "$DIR/casematch" ] && [ "$(cat "$DIR/stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "pgo: code and script unchanged since the last build" >&2
  echo "$DIR/casematch"
  exit 0
fi
echo "pgo: training runs" >&2
"$gen" score -q -f ndjson --jobs 1 "$train" > /dev/null
"$gen" score -q -f ndjson --jobs 1 "$unique" > /dev/null
# The other formats, every rule run (`--no-cache`) and `validate`, so that their code is
# not laid out as cold.
head -n 500 "$train" > "$DIR/train/small.ndjson"
for format in json csv table markdown html; do
  "$gen" score -q -f "$format" --jobs 1 "$DIR/train/small.ndjson" > /dev/null
done
"$gen" score -q -f ndjson --no-cache --jobs 1 "$DIR/train/small.ndjson" > /dev/null
"$gen" validate fixtures/cases > /dev/null

"$profdata" merge -o "$DIR/merged.profdata" "$RAW"
# Named by its content: cargo sees a change of RUSTFLAGS, not of the file it names, and a
# new profile must rebuild every crate, not only those whose code changed.
sum=$(sha256sum "$DIR/merged.profdata" | cut -c1-16)
rm -f "$DIR"/casematch-*.profdata
mv "$DIR/merged.profdata" "$DIR/casematch-$sum.profdata"

echo "pgo: optimised build" >&2
RUSTFLAGS="$CPU -Cprofile-use=$PWD/$DIR/casematch-$sum.profdata" \
  cargo build --release --quiet --target-dir "$DIR/use"
cp "$DIR/use/release/casematch" "$DIR/casematch"
echo "$stamp" > "$DIR/stamp"
echo "$DIR/casematch"
