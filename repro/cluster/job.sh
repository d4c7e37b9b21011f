#!/usr/bin/env bash
# One element of a wave's job array, submitted by `repro submit` (repro/cli/submit.py):
#   job.sh PYTHON NPROC SHARDS [repro run arguments...]
# runs `repro run ... --shard $SLURM_ARRAY_TASK_ID/SHARDS` (under torchrun when NPROC > 1), forwards
# SIGUSR1 (sbatch --signal=B:USR1@<seconds>, sent to this script only) and SIGTERM to it, and requeues
# the element when SIGUSR1 stopped the run: `repro run` then saved a checkpoint and exited 75, and the
# requeued attempt resumes from it.  Any other failure fails the element, so the next wave's `afterok`
# dependency is never met (and --kill-on-invalid-dep cancels it).
set -u
python=$1 nproc=$2 shards=$3
shift 3
shard="${SLURM_ARRAY_TASK_ID:-0}/$shards"
echo "repro job ${SLURM_JOB_ID:-local} (array ${SLURM_ARRAY_JOB_ID:-none}_${SLURM_ARRAY_TASK_ID:-0}, restart ${SLURM_RESTART_COUNT:-0}) on $(hostname): shard $shard"
if [ "$nproc" -gt 1 ]; then
  "$python" -m torch.distributed.run --standalone --nproc_per_node "$nproc" -m repro run "$@" --shard "$shard" &
else
  "$python" -m repro run "$@" --shard "$shard" &
fi
child=$!
signalled=""
# torchrun turns SIGTERM into a SIGTERM to every rank; a plain run takes SIGUSR1 itself
forward() { signalled=$1; if [ "$nproc" -gt 1 ]; then kill -TERM "$child"; else kill -"$1" "$child"; fi 2>/dev/null; }
trap 'forward USR1' USR1
trap 'forward TERM' TERM
while :; do
  wait "$child"
  status=$?
  kill -0 "$child" 2>/dev/null || break  # wait returned for a trapped signal: the run goes on
done
# Requeue after SIGUSR1 only: Slurm cancels (scancel, even --signal=KILL) and ends a time limit with
# SIGTERM, then SIGKILL after KillWait; the run then saves a checkpoint for the next attempt, but a
# cancelled job stays cancelled, and preemption with PreemptMode=REQUEUE is requeued by Slurm itself.
if [ "$signalled" = USR1 ] && [ "$status" -ne 0 ]; then
  if [ -n "${SLURM_JOB_ID:-}" ] && scontrol requeue "$SLURM_JOB_ID"; then
    echo "repro job ${SLURM_JOB_ID}: stopped by ${signalled:-a signal} (status $status), requeued; the next attempt resumes"
    exit 0
  fi
  echo "repro job ${SLURM_JOB_ID:-local}: stopped (status $status) and could not be requeued: resubmit the array" >&2
fi
exit "$status"
