"""What a run ran on: package versions, hardware, code commit."""
from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path

PACKAGES = ("torch", "transformers", "datasets", "accelerate", "tokenizers", "numpy", "scipy", "seqeval")


def _git(directory, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=directory, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def git_commit(directory=Path(__file__).parent) -> str | None:
    """The commit of the checkout holding `directory` (this project's by default), when it is one;
    "+dirty" when tracked files differ from it."""
    commit = _git(directory, "rev-parse", "HEAD")
    if not commit:
        return None
    return commit + ("+dirty" if _git(directory, "status", "--porcelain", "--untracked-files=no") else "")


def environment() -> dict:
    """Versions, hardware and commit, for a run's `env.json` and the report."""
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    env = {"python": platform.python_version(), "platform": platform.platform(),
           "processor": platform.machine(), "packages": versions, "commit": git_commit()}
    try:
        import torch
        env["threads"] = torch.get_num_threads()
        env["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except ImportError:
        pass
    return env
