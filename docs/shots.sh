#!/usr/bin/env bash
# Makes the screenshots of docs/visualiser.md (docs/img/*.png) from shipped scenarios.
#
#   docs/shots.sh [CRASHLAB]      (default: build/crashlab; run from anywhere)
#
# It builds nothing: pass the crashlab binary to use. Traces are recorded into a temporary
# folder (removed at the end) with each scenario's own seed, and every frame is drawn at a
# fixed virtual time and size, so the same binary makes the same images every time. Headless
# frames (--png) need no display; the two window-only pictures (the inspector after a search,
# the key help) are taken with --script under xvfb-run when it is installed, else skipped with
# a message. Exit status: 0, or the first failing command's.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
crashlab=${1:-$root/build/crashlab}
case $crashlab in /*) ;; *) crashlab=$PWD/$crashlab ;; esac
if [[ ! -x $crashlab ]]; then
  echo "shots.sh: $crashlab is not an executable crashlab binary (build it first)" >&2
  exit 2
fi
img=$root/docs/img
mkdir -p "$img"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# record NAME SCENARIO.lua: the run's trace into $work/NAME.trace.
record() {
  "$crashlab" run "$2" --quiet --trace "$work/$1.trace" >/dev/null
}
# frame NAME.png TRACE TIME SIZE: one headless frame into docs/img.
frame() {
  "$crashlab" viz "$work/$2.trace" --png "$img/$1" --at "$3" --size "$4"
  echo "docs/img/$1  ($2 at $3, $4)"
}

record pool "$root/scenarios/library/worker_pool.lua"
record topology "$root/scenarios/library/fallacies/changing_topology_naive.lua"
record latency "$root/scenarios/library/fallacies/zero_latency_naive.lua"
# The cluster test scenario's partition ({a} | {b, c} from 1 s to 6 s) is the clearest one.
record cluster "$root/tests/lua/cluster.lua"
record upgrade "$root/scenarios/library/rolling_upgrade_fixed.lua"
"$crashlab" demo ring --n 20000 --m 1 --quiet --trace "$work/ring.trace" >/dev/null
# docs/sweeps.md: ledger_storm_naive's seed 1 shrunk to its three faults, then recorded.
"$crashlab" shrink "$root/scenarios/library/ledger_storm_naive.lua" --seed 1 --out "$work/ledger1.lua" \
  >/dev/null 2>&1
# The shrunk run fails as it should (exit 1): only another status stops the script.
record ledger1 "$work/ledger1.lua" || [[ $? == 1 ]]

frame supervision-crash.png pool 1.2005s 1000x560  # a worker killed at 1.2 s: the flash
frame node-crashed.png topology 2.5s 1000x560        # node b crashed at 2 s
frame node-restarted.png topology 3.5s 1000x560      # b's second incarnation (3 s)
frame partition.png cluster 3s 1000x560              # {a} | {b, c}: the cut links
frame messages.png latency 5ms 1000x560              # requests in flight between nodes
frame failure.png latency fail 1000x560              # where the property failed
frame aggregated.png ring 0.5ms 1000x560             # 20,000 processes in one panel
frame small.png pool 2s 640x400                      # the smallest useful window
frame upgrade.png upgrade 2.2s 1000x560              # mixed versions during a rolling upgrade
frame shrunk.png ledger1 2.5505s 1000x560            # the shrunk run: the kill inside the cut

# The window-only pictures: the inspector (a process selected by a search) and the key help.
if ! command -v xvfb-run >/dev/null; then
  echo "shots.sh: xvfb-run not found (Debian: xvfb): inspector.png and help.png not made" >&2
  exit 0
fi
window() { # window NAME.png TRACE TIME SIZE SCRIPT-LINES...
  local png=$1 trace=$2 at=$3 size=$4
  shift 4
  printf '%s\n' "$@" "frames 2" "screenshot $img/$png" "quit" >"$work/script"
  xvfb-run -a -s "-screen 0 1920x1200x24" \
    "$crashlab" viz "$work/$trace.trace" --at "$at" --size "$size" --script "$work/script"
  echo "docs/img/$png  ($trace at $at, $size, window)"
}
window inspector.png pool 2s 1000x560 "text /" "text worker3" "key return"
window help.png pool 2s 1000x560 "text ?"
