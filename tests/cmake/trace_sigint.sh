#!/bin/bash
# Starts a long run with --trace in the background, waits until its .partial file exists (the
# run is under way: polled, no fixed delay), sends SIGINT and exits with the run's exit status.
# Its stdout is passed through. Usage: trace_sigint.sh CRASHLAB SCENARIO TRACE
crashlab=$1 scenario=$2 trace=$3
rm -f "$trace" "$trace.partial"
"$crashlab" run "$scenario" --trace "$trace" --max-time 5000h --quiet &
pid=$!
for _ in $(seq 1 6000); do
  [ -e "$trace.partial" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.01
done
if [ ! -e "$trace.partial" ]; then
  echo "trace_sigint.sh: the run never created $trace.partial" >&2
  kill -KILL "$pid" 2>/dev/null
  exit 3
fi
kill -INT "$pid"
wait "$pid"
