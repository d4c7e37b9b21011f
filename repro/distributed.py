"""Several processes on one run (`torchrun`, `accelerate launch`): who writes, and agreeing on it.

Under a launcher every rank runs the same command.  All ranks compute a run
together (the Trainer's DDP needs each of them), rank 0 alone takes the run's
lock, writes the engine's files and publishes the folder; the others follow
its decisions through the process group.

accelerate's `PartialState` does all of it: `num_processes`, `is_main_process`
(the writer: global rank 0, not `is_local_main_process`, since one store is
shared by every node), `wait_for_everyone`, and `accelerate.utils.
broadcast_object_list` for rank 0's decisions.  Without a launcher these answer
1 / True / no-op / the value itself and no process group is created.  What
accelerate lacks is only the choice of how to build the state; `state()` below.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accelerate import PartialState


def cpu_only() -> bool:
    """True when no CUDA device is present: the state and the Trainer's `use_cpu` then run on CPU.

    One rule for both: under a launcher accelerate's default looks for an accelerator and, finding
    none, treats every CPU rank as alone."""
    import torch

    return not torch.cuda.is_available()


def state() -> "PartialState":
    """This process's `accelerate.PartialState`, joining the launcher's process group on first use.

    Built with `cpu=True` when no CUDA device is present, as `Engine.training_args`
    builds the Trainer's (`use_cpu`): accelerate's default (`PartialState()`, also
    what its own helpers such as `broadcast_object_list` build when nothing has)
    looks for an accelerator under a launcher and, finding none, treats every CPU
    rank as alone.  So call this before any accelerate helper.  The Trainer's
    `TrainingArguments` later rebuilds the state on the same process group (it
    initialises a group only when none exists).  Never built at import: it imports
    torch and may start the process group.
    """
    from accelerate import PartialState

    return PartialState(cpu=cpu_only())
