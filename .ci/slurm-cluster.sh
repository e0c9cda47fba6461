#!/usr/bin/env bash
# A single-node SLURM cluster for the `slurm` tests, on a Debian machine, as root.
#
#   .ci/slurm-cluster.sh up       install slurm-wlm + munge if missing, write the munge key and slurm.conf,
#                                 start munged, slurmctld and slurmd, wait until `sinfo` says idle
#   .ci/slurm-cluster.sh down     stop the three daemons by PID (packages and config stay)
#   .ci/slurm-cluster.sh status   `sinfo`; exit 0 when the node answers
#
# Idempotent: `up` on a running cluster only checks it. Accounting is off (no slurmdbd), so `up` puts a
# `sacct` stand-in built on `squeue` in /usr/local/bin (submitit asks sacct for job states; MinJobAge keeps
# finished jobs visible to squeue for an hour) and `down` removes it. It never overwrites a slurm.conf
# it did not write.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
MARK="# written by fakeid .ci/slurm-cluster.sh"
CONF=/etc/slurm/slurm.conf
MUNGE_KEY=/etc/munge/munge.key
MUNGE_PID=/run/munge/munged.pid
CTLD_PID=/run/slurmctld.pid
SLURMD_PID=/run/slurmd.pid
SACCT=/usr/local/bin/sacct
LOGS=/var/log/slurm

say() { echo "slurm-cluster: $*" >&2; }
alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

node_state() { timeout 10 sinfo -h -o %t 2>/dev/null | head -n1 || true; }

install_packages() {
    if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null; then
        return
    fi
    if ! command -v apt-get >/dev/null; then
        say "slurm-wlm and munge are not installed and there is no apt-get"; exit 1
    fi
    say "installing slurm-wlm munge"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends slurm-wlm munge >/dev/null \
        || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive \
             apt-get install -y --no-install-recommends slurm-wlm munge >/dev/null; }
}

start_munge() {
    if [[ ! -s "$MUNGE_KEY" ]]; then
        mkdir -p "$(dirname "$MUNGE_KEY")"
        dd if=/dev/urandom of="$MUNGE_KEY" bs=1024 count=1 status=none
    fi
    chown munge:munge "$MUNGE_KEY" && chmod 0600 "$MUNGE_KEY"
    install -d -o munge -g munge -m 0755 /run/munge
    install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge
    if ! alive "$MUNGE_PID"; then
        runuser -u munge -- /usr/sbin/munged --force
    fi
    for _ in $(seq 50); do munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && return; sleep 0.1; done
    say "munged does not answer"; exit 1
}

write_conf() {
    if [[ -f "$CONF" ]] && ! grep -qF "$MARK" "$CONF"; then
        say "$CONF exists and was not written by this script; leaving it alone"; return
    fi
    local node name
    node="$(slurmd -C | head -n1)"
    name="$(sed -E 's/^NodeName=([^ ]+).*/\1/' <<<"$node")"
    mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd "$LOGS"
    cat >"$CONF" <<EOF
$MARK: a single-node test cluster
ClusterName=fakeid
SlurmctldHost=$name(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
AuthInfo=cred_expire=10
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
EnforcePartLimits=ALL
ReturnToService=2
MinJobAge=3600
KillWait=5
SchedulerParameters=sched_interval=2
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=$name Default=YES MaxTime=INFINITE State=UP
EOF
}

install_sacct() {
    if grep -q "^AccountingStorageType=accounting_storage/none" "$CONF" 2>/dev/null \
            && { [[ ! -e "$SACCT" ]] || grep -qF "fakeid" "$SACCT"; }; then
        install -m 0755 "$HERE/sacct-from-squeue" "$SACCT"
    fi
}

start_daemon() {  # name pidfile
    if ! alive "$2"; then
        "/usr/sbin/$1"
    fi
}

wait_idle() {
    local state=""
    for _ in $(seq 120); do
        state="$(node_state)"
        case "$state" in
            idle*|mix*|alloc*) say "up: $(sinfo -h -o '%N %c CPUs %m MB %t' | head -n1)"; return ;;
            down*|drain*) scontrol update nodename="$(sinfo -h -o %N | head -n1)" state=resume 2>/dev/null || true ;;
        esac
        sleep 0.5
    done
    say "the node never became idle (state: ${state:-no answer}); see $LOGS"; exit 1
}

stop() {  # name pidfile
    if alive "$2"; then
        local pid; pid="$(cat "$2")"
        kill "$pid"
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
        say "stopped $1 ($pid)"
    fi
    rm -f "$2"
}

up() {
    [[ "$(id -u)" == 0 ]] || { say "needs root"; exit 1; }
    install_packages
    start_munge
    write_conf
    install_sacct
    start_daemon slurmctld "$CTLD_PID"
    start_daemon slurmd "$SLURMD_PID"
    wait_idle
}

down() {
    stop slurmd "$SLURMD_PID"
    stop slurmctld "$CTLD_PID"
    stop munged "$MUNGE_PID"
    if [[ -f "$SACCT" ]] && grep -qF "fakeid" "$SACCT"; then rm -f "$SACCT"; fi
}

status() {
    command -v sinfo >/dev/null || { say "not installed"; exit 1; }
    timeout 10 sinfo || { say "no answer"; exit 1; }
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
