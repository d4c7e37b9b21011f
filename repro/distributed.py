"""Several processes on one run (`torchrun`, `accelerate launch`): who writes, and agreeing on it.

Under a launcher every rank runs the same command.  All ranks compute a run
together (the Trainer's DDP needs each of them), rank 0 alone takes the run's
lock, writes the engine's files and publishes the folder; the others follow
its decisions through the process group.  With one process every function
here is a no-op.
"""
from __future__ import annotations

import os


def world_size() -> int:
    """The number of processes the launcher started (1 without a launcher)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_writer() -> bool:
    """True on the one process that writes run files: rank 0, or the only process."""
    return int(os.environ.get("RANK", "0")) == 0


def init() -> None:
    """Join the launcher's process group (NCCL on GPUs, gloo on CPUs) if there is one."""
    if world_size() == 1:
        return
    import torch
    import torch.distributed as dist
    if dist.is_initialized():
        return
    if torch.cuda.is_available():
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")


def broadcast(value):
    """Rank 0's `value` on every rank (picklable values)."""
    if world_size() == 1:
        return value
    import torch.distributed as dist
    init()
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def barrier() -> None:
    """Wait until every rank gets here."""
    if world_size() > 1:
        import torch.distributed as dist
        init()
        dist.barrier()
