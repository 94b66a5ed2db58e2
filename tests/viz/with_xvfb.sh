#!/usr/bin/env bash
# Runs a command on a private Xvfb screen and returns its exit status.
#
# Usage: with_xvfb.sh WxHxD COMMAND [ARGS...]
#
# Xvfb chooses a free display number itself and writes it to a pipe (-displayfd) once it
# accepts connections, so two of these started at the same moment never race for a display,
# and the command starts when the server is ready (an event, not a wait). The server and the
# pipe's folder go away when the command ends, whatever its status.
set -uo pipefail
screen=$1
shift
tmp=$(mktemp -d) || exit 2
mkfifo "$tmp/display"
Xvfb -displayfd 3 -screen 0 "$screen" -nolisten tcp 3>"$tmp/display" 2>"$tmp/xvfb.log" &
xvfb=$!
cleanup() {
  kill "$xvfb" 2>/dev/null
  wait "$xvfb" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
if ! read -r number <"$tmp/display" || [ -z "$number" ]; then
  echo "with_xvfb.sh: Xvfb did not start:" >&2
  cat "$tmp/xvfb.log" >&2
  exit 2
fi
DISPLAY=":$number" "$@"
