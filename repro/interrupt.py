"""A graceful stop on SIGTERM or SIGUSR1, what a scheduler sends before preemption or a time limit.

`install()` (by `repro run`) makes both signals a request to stop.  A training run that is under
way (`GracefulStop`, one of its Trainer's callbacks) saves a checkpoint at the end of its current
step and stops; the engine then raises `Interrupted`.  Anything else (loading data, prediction,
retrieval, publishing) is interrupted at once with `Interrupted`.  Either way the run's lock is
released and its work folder kept, and `repro run` exits with `EXIT_REQUEUE`, which the job
script (`repro/cluster/job.sh`) turns into `scontrol requeue`; the next attempt resumes from the
checkpoint (`repro.checkpoints`).
"""
from __future__ import annotations

import logging
import signal

from transformers import TrainerCallback

from repro.errors import ReproError

log = logging.getLogger(__name__)

EXIT_REQUEUE = 75  # EX_TEMPFAIL: interrupted, requeue me
SIGNALS = (signal.SIGTERM, signal.SIGUSR1)


class Interrupted(ReproError):
    """The process was asked to stop (SIGTERM/SIGUSR1); a training run saved a checkpoint first."""


_requested: int | None = None  # the signal received, if any
_training = False  # a GracefulStop-equipped training loop is running: it stops itself


def _handle(signum, frame) -> None:
    global _requested
    first = _requested is None
    _requested = signum
    name = signal.Signals(signum).name
    if _training:
        if first:
            log.warning("%s received: saving a checkpoint at the end of this step, then stopping", name)
        return
    raise Interrupted(f"{name} received outside training: stopping now (the run resumes from its work folder)")


def install() -> None:
    """Make SIGTERM and SIGUSR1 a request to stop gracefully (main thread only)."""
    for sig in SIGNALS:
        signal.signal(sig, _handle)


def reset() -> None:
    """Forget a request (tests)."""
    global _requested, _training
    _requested, _training = None, False


class GracefulStop(TrainerCallback):
    """While training: on a stop request, save at the end of the current step, then stop.

    The resumed run must see the steps, evaluations and saves of an uninterrupted one: a step that
    ends an epoch under an epoch strategy is saved by the epoch's own evaluation and save; any
    other step is saved without evaluating, and the epoch end that the stop passes through
    neither evaluates, saves nor logs.  The stop flag is set only after the save (`on_save`), so
    the checkpoint's copy of the Trainer's control state does not carry it into the resumed run.
    """

    def __init__(self):
        self.saved_at: int | None = None

    def on_train_begin(self, args, state, control, **kwargs):
        global _training
        _training = True

    def on_step_end(self, args, state, control, **kwargs):
        if not _agreed(args):
            return
        epoch_end = args.save_strategy == "epoch" and state.epoch is not None and float(state.epoch).is_integer()
        if not epoch_end:
            control.should_save = True
            self.saved_at = state.global_step

    def on_epoch_end(self, args, state, control, **kwargs):
        if _requested is not None and self.saved_at == state.global_step:
            control.should_evaluate = control.should_save = control.should_log = False

    def on_save(self, args, state, control, **kwargs):
        if _requested is not None:
            control.should_training_stop = True

    def on_train_end(self, args, state, control, **kwargs):
        global _training
        _training = False


def _agreed(args) -> bool:
    """Whether any rank of the launch was asked to stop (all-reduced, so every rank saves at the same
    step); a rank that learns of it this way takes the request as its own."""
    global _requested
    if args.world_size > 1:
        import torch
        import torch.distributed as dist
        flag = torch.tensor([0 if _requested is None else int(_requested)], device=args.device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        if _requested is None and int(flag.item()):
            _requested = int(flag.item())
    return _requested is not None


def raise_if_requested(step: int) -> None:
    """After `trainer.train()`: Interrupted when a stop was requested (the checkpoint is saved)."""
    if _requested is not None:
        name = signal.Signals(_requested).name
        raise Interrupted(f"{name} received: training stopped at step {step} with a checkpoint; "
                          "the next attempt resumes from it")
