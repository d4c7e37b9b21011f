"""Resuming an interrupted training run from the Trainer's own checkpoints.

Every checkpoint the Trainer writes (`checkpoints/checkpoint-<step>`: weights, optimiser,
scheduler, RNG states, trainer state with the early-stopping callback's state) gets a
`MANIFEST.json` of its files' sizes and hashes once the Trainer is done writing it
(`CheckpointManifest`).  A checkpoint without one was cut off while being written; one whose
files do not match it was damaged afterwards.  `resume_point` picks the newest checkpoint
that is whole, moves every newer one aside to `checkpoints-set-aside/` with the reason (nothing
is deleted), and returns where training resumes.
"""
from __future__ import annotations

import logging
import os
import re
import time
from pathlib import Path

from transformers import TrainerCallback

from repro import distributed
from repro.store import CHECKPOINTS, SET_ASIDE, CorruptRunError, verify, write_manifest

log = logging.getLogger(__name__)

_STEP = re.compile(r"^checkpoint-(\d+)$")


class CheckpointManifest(TrainerCallback):
    """After each save, record the checkpoint's files (rank 0): the mark of a whole checkpoint.

    On a resume, the restored best checkpoint is looked up by name in this attempt's folder (the
    store may be mounted at another path on this node)."""

    def on_train_begin(self, args, state, control, **kwargs):
        if state.best_model_checkpoint:
            state.best_model_checkpoint = str(Path(args.output_dir) / Path(state.best_model_checkpoint).name)

    def on_save(self, args, state, control, **kwargs):
        if args.world_size > 1:  # every rank has written its own RNG state before rank 0 lists the files
            import torch.distributed as dist
            dist.barrier()
        folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if state.is_world_process_zero and folder.is_dir():
            write_manifest(folder)


def _by_step(folder: Path) -> list[tuple[int, Path]]:
    found = []
    if folder.is_dir():
        for path in folder.iterdir():
            match = _STEP.match(path.name)
            if match and path.is_dir():
                found.append((int(match.group(1)), path))
    return sorted(found, reverse=True)


def resume_point(work: Path) -> tuple[str | None, int, list[dict]]:
    """(checkpoint to resume from or None, its step or 0, the checkpoints set aside).

    Newest first: a checkpoint that fails its manifest is moved to `<work>/checkpoints-set-aside/`
    (named with its step and the time) and logged with the reason, and the previous one is tried.
    Under a multi-process launch rank 0 decides and the other ranks follow.
    """
    state = distributed.state()
    decision: tuple[str | None, int, list[dict]] | None = None
    if state.is_main_process:
        decision = _choose(Path(work))
    if state.num_processes > 1:
        from accelerate.utils import broadcast_object_list
        (decision,) = broadcast_object_list([decision])
    assert decision is not None, "rank 0 chose a checkpoint (or none) for every rank"
    return decision


def _choose(work: Path) -> tuple[str | None, int, list[dict]]:
    set_aside = []
    for step, path in _by_step(work / CHECKPOINTS):
        try:
            verify(path, full=True)
        except CorruptRunError as err:
            dest = work / SET_ASIDE / f"{path.name}-{time.strftime('%Y%m%d-%H%M%S')}"
            dest.parent.mkdir(exist_ok=True)
            os.rename(path, dest)
            reason = str(err).replace(str(path), path.name)
            log.warning("checkpoint %s is not whole (%s): moved to %s; resuming from the one before it, "
                        "if any (nothing to fix)", path, reason, dest)
            set_aside.append({"checkpoint": path.name, "moved_to": str(dest), "reason": reason})
            continue
        log.warning("resuming the interrupted training of %s from step %d (%s)", work.name, step, path)
        return str(path), step, set_aside
    return None, 0, set_aside


def latest_step(work: Path) -> int:
    """The step of the newest checkpoint under `work` that has its manifest (0: none)."""
    for step, path in _by_step(Path(work) / CHECKPOINTS):
        if (path / "MANIFEST.json").is_file():
            return step
    return 0


def callback_of(trainer, kind):
    """The Trainer's callback of class `kind` (a resume replaces callbacks by restored copies)."""
    found = [cb for cb in trainer.callback_handler.callbacks if isinstance(cb, kind)]
    if len(found) != 1:
        raise LookupError(f"expected one {kind.__name__} among the Trainer's callbacks, found {len(found)}")
    return found[0]


def train_resumable(trainer, work: Path) -> dict:
    """`trainer.train()`, resumed from the newest whole checkpoint in `work` if there is one.

    Adds the checkpoint manifests and the graceful stop (`repro.interrupt`) to the Trainer.  A
    checkpoint saved when training had already ended (its last step, or early stopping) is not
    trained on: its state and best model are loaded as the Trainer's end of training would.
    Raises `interrupt.Interrupted` after a requested stop.  Returns what `train_log.json`
    records: `resumed_from_step` (0: a fresh start) and `checkpoints_set_aside`.
    """
    from repro import interrupt

    trainer.add_callback(CheckpointManifest())
    trainer.add_callback(interrupt.GracefulStop())
    checkpoint, step, set_aside = resume_point(work)
    if checkpoint is not None and _training_ended(Path(checkpoint)):
        _load_ended(trainer, Path(checkpoint))
    else:
        trainer.train(resume_from_checkpoint=checkpoint)
    interrupt.raise_if_requested(trainer.state.global_step)
    return {"resumed_from_step": step, "checkpoints_set_aside": set_aside}


def _training_ended(checkpoint: Path) -> bool:
    import json
    state = json.loads((checkpoint / "trainer_state.json").read_text())
    control = state.get("stateful_callbacks", {}).get("TrainerControl", {})
    return bool(control.get("args", {}).get("should_training_stop"))


def _load_ended(trainer, checkpoint: Path) -> None:
    """The end of a finished training from its last checkpoint: the Trainer's state, the
    early-stopping record, and the best checkpoint's weights (`load_best_model_at_end`)."""
    from safetensors.torch import load_file
    from transformers import TrainerState

    from repro.early_stopping import PatientEarlyStopping

    state = TrainerState.load_from_json(str(checkpoint / "trainer_state.json"))
    trainer.state = state
    stopping = callback_of(trainer, PatientEarlyStopping)
    for name, value in state.stateful_callbacks.get("PatientEarlyStopping", {}).get("attributes", {}).items():
        setattr(stopping, name, value)
    stopping.max_steps, stopping.stopped_step = state.max_steps, state.global_step
    stopping.warmup_steps = trainer.args.get_warmup_steps(state.max_steps)
    best = checkpoint.parent / Path(state.best_model_checkpoint or checkpoint).name
    if not (best / "model.safetensors").is_file():
        raise CorruptRunError(f"training of {checkpoint.parent.parent.name} had ended, but its best checkpoint {best.name} "
                           f"is gone (set aside?): remove {checkpoint.parent.parent} to train the run again")
    model = trainer.accelerator.unwrap_model(trainer.model)
    missing, unexpected = model.load_state_dict(load_file(str(best / "model.safetensors")), strict=False)
    tied = set(getattr(model, "all_tied_weights_keys", None) or getattr(model, "_tied_weights_keys", None) or ())
    if unexpected or set(missing) - tied:
        raise CorruptRunError(f"checkpoint {best} does not fit the model (missing {sorted(missing)[:3]}, unexpected "
                           f"{sorted(unexpected)[:3]}); remove the run's work folder to train it from the start")
    log.warning("training of %s had ended at step %d: loaded its best checkpoint %s", checkpoint.parent.parent.name,
                state.global_step, best.name)
