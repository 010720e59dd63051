#!/usr/bin/env bash
# Stops what slurm-up.sh started, by PID: slurmd, slurmctld, then munged if slurm-up started it.
# Usage: slurm-down.sh STATE_DIR
state=${1:?usage: slurm-down.sh STATE_DIR}
stop() {  # pidfile
  [ -s "$1" ] || return 0
  local pid
  pid=$(cat "$1")
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}
stop "$state/slurmd.pid"
stop "$state/slurmctld.pid"
[ -s "$state/munged.pidfile" ] && stop "$(cat "$state/munged.pidfile")"
exit 0
