#!/usr/bin/env bash
# Counts how often the idle desktop app wakes up: starts it under Xvfb with a notification-less
# D-Bus session, lets it settle, then counts every thread's context switches over a window of
# SECONDS (default 60) while nothing rings. Prints wake-ups per second for the app's own
# process and for each WebKit helper process it started.
#
#   scripts/idle-wakeups.sh [path/to/klingel] [SECONDS]
set -euo pipefail

app=${1:-target/release/klingel}
seconds=${2:-60}
settle=${SETTLE:-10}

if [[ -z ${KLINGEL_IDLE_INNER:-} ]]; then
  exec env KLINGEL_IDLE_INNER=1 xvfb-run -a -s "-screen 0 1280x800x24" \
    dbus-run-session -- "$0" "$app" "$seconds"
fi

home=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$home"' EXIT
mkdir -p "$home/data"
printf '[listener]\naddress = "127.0.0.1:0"\n' > "$home/klingel.toml"
KLINGEL_CONFIG="$home/klingel.toml" KLINGEL_DATA_DIR="$home/data" "$app" > "$home/app.log" 2>&1 &
pid=$!
sleep "$settle"

# "tid switches" for every thread of a process (voluntary + involuntary context switches).
switches() {
  local task
  for task in /proc/"$1"/task/*; do
    awk -v t="${task##*/}" '/ctxt_switches/ { s += $2 } END { print t, s + 0 }' "$task/status" 2>/dev/null || true
  done
}
helpers() { pgrep -P "$pid" || true; }

procs="$pid $(helpers)"
for proc in $procs; do switches "$proc" > "$home/before.$proc"; done
sleep "$seconds"
printf 'idle for %s s after %s s to settle\n' "$seconds" "$settle"
for proc in $procs; do
  [[ -d /proc/$proc ]] || continue
  switches "$proc" > "$home/after.$proc"
  name=$(tr -d '\0' < /proc/"$proc"/comm)
  # Threads present at the end: what they did since the start (all of it, if they are new).
  awk -v n="$name" -v s="$seconds" '
    FNR == NR { before[$1] = $2; next }
    { total += $2 - before[$1] }
    END { printf "%-22s %8.2f wake-ups/s\n", n, total / s }' "$home/before.$proc" "$home/after.$proc"
done
