#!/usr/bin/env bash
# Stops the cluster that .ci/slurm/start.sh DIR started: cancels its jobs, then
# stops slurmd, slurmctld and munged by the pids in DIR. Leaves DIR for logs.
set -uo pipefail
DIR=${1:?usage: stop.sh DIR}
DIR=$(cd "$DIR" && pwd)
export SLURM_CONF=$DIR/slurm.conf PATH="$PATH:/usr/sbin"
scancel --user=root >/dev/null 2>&1 || true
stop() { # pidfile
	[ -s "$1" ] || return 0
	pid=$(cat "$1")
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null || true
}
stop "$DIR/slurmd.pid"
stop "$DIR/slurmctld.pid"
stop "$DIR/munge/munged.pid"
# slurmstepd runs detached from slurmd; kill what is left of this cluster's
# steps and tasks, known by SLURM_CONF=DIR/slurm.conf in their environment.
for env in /proc/[0-9]*/environ; do
	pid=${env#/proc/}; pid=${pid%/environ}
	[ "$pid" = $$ ] && continue
	if { tr '\0' '\n' <"$env"; } 2>/dev/null | grep -qxF "SLURM_CONF=$SLURM_CONF"; then
		kill -9 "$pid" 2>/dev/null && echo "stop.sh: killed leftover $pid" >&2
	fi
done
echo "stop.sh: stopped the cluster in $DIR" >&2
