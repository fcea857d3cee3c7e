#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for the Slurm executor's tests (docs/cluster.md).
# Debian's slurmctld, slurmd and munge, run as root without systemd. Idempotent: installs what is
# missing, writes the config once, starts the daemons that are not running, waits until the node is
# idle. Time-bounded (SLURM_SETUP_TIMEOUT seconds for apt, 60 s for the node). `stop` shuts it down.
# Exit status 0 only when `sinfo` reports the node idle.
set -euo pipefail

timeout_s="${SLURM_SETUP_TIMEOUT:-900}"

if [ "${1:-start}" = "stop" ]; then
  scontrol shutdown >/dev/null 2>&1 || true
  /etc/init.d/munge stop >/dev/null 2>&1 || true
  exit 0
fi

if [ "$(id -u)" != "0" ]; then
  echo "slurm-local: needs root (it installs packages and starts daemons)" >&2
  exit 1
fi

if ! command -v slurmctld >/dev/null 2>&1 || ! command -v slurmd >/dev/null 2>&1 \
  || ! command -v sbatch >/dev/null 2>&1 || ! command -v munge >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || { echo "slurm-local: no apt-get to install Slurm" >&2; exit 1; }
  echo "slurm-local: installing slurmctld slurmd slurm-client munge"
  timeout "$timeout_s" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout "$timeout_s" apt-get install -y -qq --no-install-recommends \
    slurmctld slurmd slurm-client munge >/dev/null
fi

mkdir -p /var/log/slurm /var/lib/slurm/slurmctld /var/lib/slurm/slurmd
chown -R slurm:slurm /var/log/slurm /var/lib/slurm

# RealMemory must not exceed what slurmd detects.
mem=$(( $(awk '/MemTotal/{print int($2/1024)}' /proc/meminfo) - 1024 ))
conf=/etc/slurm/slurm.conf
if ! grep -q '^ClusterName=ci$' "$conf" 2>/dev/null; then
  cat > "$conf" <<CONF
ClusterName=ci
SlurmctldHost=localhost
SlurmUser=slurm
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MinJobAge=600
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=/var/log/slurm/jobcomp.log
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=localhost CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  echo 'CgroupPlugin=cgroup/v1' > /etc/slurm/cgroup.conf
fi

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  /etc/init.d/munge start >/dev/null
fi
munge -n | unmunge >/dev/null
running /run/slurmctld.pid || slurmctld
running /run/slurmd.pid || slurmd

for _ in $(seq 60); do
  state=$(sinfo -h -o %t 2>/dev/null | head -n1 || true)
  case "$state" in
    idle|mix|alloc) echo "slurm-local: node $state"; exit 0 ;;
    down*|drain*) scontrol update nodename=localhost state=resume >/dev/null 2>&1 || true ;;
  esac
  sleep 1
done
echo "slurm-local: the node did not become idle in 60 s; see /var/log/slurm/" >&2
exit 1
