"""A real one-node SLURM for the tests: munged, slurmctld and slurmd on a configuration generated in
a temporary directory (proctrack/linuxproc, task/none, no accounting), stopped by their process ids.

Needs root and Debian's `slurmctld`, `slurmd`, `slurm-client` and `munge` packages (`.ci/run`
installs them); `unavailable()` says why it cannot start, for the tests to skip with.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "scontrol", "squeue", "scancel")

CONFIG = """ClusterName=repro-test
SlurmctldHost={host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
StateSaveLocation={dir}/state
SlurmdSpoolDir={dir}/spool
SlurmctldPidFile={dir}/slurmctld.pid
SlurmdPidFile={dir}/slurmd.pid
SlurmctldLogFile={dir}/slurmctld.log
SlurmdLogFile={dir}/slurmd.log
AuthType=auth/munge
AuthInfo=socket={dir}/munge.sock
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SchedulerParameters=bf_interval=1,sched_interval=2
KillWait=5
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
MinJobAge=600
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


def unavailable() -> str | None:
    """Why a SLURM cannot be started here, or None."""
    missing = [name for name in DAEMONS if shutil.which(name) is None]
    if missing:
        return (f"no SLURM here ({', '.join(missing)} not found): install Debian's slurmctld slurmd slurm-client "
                "munge (as .ci/run does) to run the slurm tests")
    if os.geteuid() != 0:
        return "the slurm tests start munged, slurmctld and slurmd as root; run them as root (CI does)"
    return None


def _seconds_until(stamp: str) -> float:
    """Seconds from now to a Slurm time stamp (2026-12-04T21:51:32); 0 when it is not one."""
    try:
        return time.mktime(time.strptime(stamp.strip(), "%Y-%m-%dT%H:%M:%S")) - time.time()
    except ValueError:
        return 0.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """The daemons over `folder`; `env` is the environment for the SLURM commands (SLURM_CONF)."""

    def __init__(self, folder: Path):
        self.dir = folder
        self.host = socket.gethostname().split(".")[0]
        self.env = {**os.environ, "SLURM_CONF": str(folder / "slurm.conf")}
        self.pids: list[int] = []

    def start(self) -> "Cluster":
        d = self.dir
        for sub in ("state", "spool"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        d.chmod(0o700)  # munged refuses a key in a folder others can write
        (d / "munge.key").write_bytes(os.urandom(1024))
        (d / "munge.key").chmod(0o400)
        (d / "slurm.conf").write_text(CONFIG.format(host=self.host, dir=d, ctld_port=_free_port(),
                                                    slurmd_port=_free_port(), cpus=os.cpu_count() or 2))
        self._daemon(["munged", f"--key-file={d}/munge.key", f"--socket={d}/munge.sock", f"--pid-file={d}/munged.pid",
                      f"--log-file={d}/munged.log", f"--seed-file={d}/munge.seed", "--force"], d / "munged.pid")
        self._daemon(["slurmctld", "-f", str(d / "slurm.conf")], d / "slurmctld.pid")
        self._daemon(["slurmd", "-f", str(d / "slurm.conf"), "-N", self.host], d / "slurmd.pid")
        deadline = time.time() + 60
        while time.time() < deadline:
            state = self.run("sinfo", "-h", "-o", "%T", check=False).stdout.strip()
            if state == "idle":
                return self
            time.sleep(0.5)
        raise RuntimeError(f"the test SLURM did not come up (node state {state!r}); see {d}/slurmctld.log")

    def _daemon(self, cmd: list[str], pidfile: Path) -> None:
        subprocess.run(cmd, env=self.env, check=True, capture_output=True, timeout=60)
        deadline = time.time() + 30
        while not pidfile.is_file() or not pidfile.read_text().strip():
            if time.time() > deadline:
                raise RuntimeError(f"{cmd[0]} wrote no pid file {pidfile}")
            time.sleep(0.1)
        self.pids.append(int(pidfile.read_text().split()[0]))

    def stop(self) -> None:
        """Stop the daemons this cluster started (by pid), the last started first."""
        for pid in reversed(self.pids):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
            else:  # still there after ten seconds
                os.kill(pid, signal.SIGKILL)
        self.pids = []

    def run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        """A SLURM command against this cluster."""
        done = subprocess.run(list(cmd), env=self.env, capture_output=True, text=True, timeout=120)
        if check and done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed: {done.stderr.strip()}")
        return done

    def state(self, job: str) -> dict:
        """`scontrol show job` of `job` as a dict (JobState, Restarts, ExitCode, ...)."""
        text = self.run("scontrol", "-o", "show", "job", job).stdout
        fields = {}
        for line in text.splitlines():
            for item in line.split():
                key, _, val = item.partition("=")
                fields.setdefault(key, val)
        return fields

    def jobs(self) -> list[tuple[str, str, str]]:
        """(job id, state, reason) of every job still queued or running."""
        out = self.run("squeue", "-h", "-o", "%i %T %r").stdout
        return [tuple(line.split(None, 2)) for line in out.splitlines() if line.strip()]

    def release_requeued(self) -> None:
        """Start requeued jobs soon: Slurm holds a requeued job about two minutes (reason BeginTime);
        an administrator's `scontrol update StartTime=now+5` shortens that hold, which keeps the tests
        short.  Not `now`: slurmd refuses a credential issued in the second the old one was revoked
        ("Job credential revoked")."""
        out = self.run("squeue", "-h", "-o", "%i %T %r %S").stdout
        for line in out.splitlines():
            job, state, reason, start = line.split(None, 3)
            if state == "PENDING" and reason == "BeginTime" and _seconds_until(start) > 10:
                self.run("scontrol", "update", f"jobid={job}", "StartTime=now+5", check=False)

    def wait_idle(self, timeout: float) -> None:
        """Until no job is queued or running (requeued ones released at once)."""
        deadline = time.time() + timeout
        while self.jobs():
            if time.time() > deadline:
                raise TimeoutError(f"jobs still queued after {timeout:.0f} s: {self.jobs()}")
            self.release_requeued()
            time.sleep(0.5)
