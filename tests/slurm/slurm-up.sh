#!/usr/bin/env bash
# Starts a private single-node Slurm on loopback for the integration test (no systemd needed):
# installs Debian's slurm-wlm and munge if missing, starts munged (unless one answers already),
# slurmctld and slurmd with the configuration in STATE_DIR, and waits until the node is idle.
# Every daemon writes its PID file into STATE_DIR; slurm-down.sh stops them by PID.
# Usage: slurm-up.sh STATE_DIR   (then export SLURM_CONF=STATE_DIR/slurm.conf)
set -euo pipefail
state=${1:?usage: slurm-up.sh STATE_DIR}
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  t0=$(date +%s)
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
  echo "slurm-up: installed slurm-wlm and munge in $(( $(date +%s) - t0 )) s"
fi

# A previous run that died before its clean-up may still hold the ports.
bash "$here/slurm-down.sh" "$state" >/dev/null 2>&1 || true
rm -rf "$state"
mkdir -p "$state/ctld" "$state/d" "$state/log"

if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
  fi
  install -d -o munge -g munge -m 0755 /run/munge
  runuser -u munge -- /usr/sbin/munged
  echo /run/munge/munged.pid > "$state/munged.pidfile"  # started here: stopped by slurm-down.sh
  for _ in $(seq 1 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
fi
munge -n | unmunge | grep -q 'STATUS: *Success' || { echo "slurm-up: munge does not work" >&2; exit 1; }

host=$(hostname -s)
cpus=$(nproc)
mem=$(( $(free -m | awk '/^Mem:/ {print $2}') - 1024 ))
cat > "$state/slurm.conf" <<CONF
ClusterName=dfkdtest
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
MinJobAge=300
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/d
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${mem} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$state/slurm.conf"
/usr/sbin/slurmctld -f "$SLURM_CONF"
/usr/sbin/slurmd -f "$SLURM_CONF" -N "$host"
for _ in $(seq 1 120); do
  [ "$(sinfo -h -N -o '%T' 2>/dev/null)" = idle ] && { echo "slurm-up: node $host idle ($cpus CPUs)"; exit 0; }
  sleep 0.5
done
echo "slurm-up: the node did not become idle in 60 s; sinfo says: $(sinfo -N 2>&1)" >&2
tail -n 30 "$state"/log/*.log >&2
exit 1
