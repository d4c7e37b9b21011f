"""Stopping a training phase whose loss is no longer a number, and saying so.

In bf16 no loss scaler skips a step whose loss or gradients overflow: one non-finite loss writes
NaN into the weights, and every later step trains nothing.  The Trainer's default
`logging_nan_inf_filter` logs such steps as the mean of the good ones, and the protocol's early
stopping would go on for its whole patience (30 evaluations of 1,000 steps on `paper`) before it
restores the best checkpoint.  With the filter off (`Engine.training_args`) the logged loss of a
window holding a non-finite step is itself non-finite; `NonFiniteLossStop` stops training at the
first such log and records where.  That step's evaluation still runs and the best checkpoint is
restored as usual; with NaN weights every later model predicts alike and none could become a new
best, so the kept model is the one the protocol's early stopping would restore once its patience
ran out, without the steps in between.
"""
from __future__ import annotations

import logging
import math

from transformers import TrainerCallback

log = logging.getLogger(__name__)


class NonFiniteLossStop(TrainerCallback):
    """Stop training at the first logged loss that is NaN or infinite; `summary()` says where (None: never)."""

    def __init__(self, run: str = "the run"):
        self.run = run
        self.step: int | None = None
        self.loss: float | None = None
        self.last_finite_step = 0

    def on_log(self, args, state, control, logs=None, **kwargs):
        loss = (logs or {}).get("loss")
        if loss is None or self.step is not None or math.isfinite(float(loss)):
            return
        self.step, self.loss = state.global_step, float(loss)
        # from the Trainer's log history, which a resumed attempt restores with its checkpoint
        self.last_finite_step = max((e["step"] for e in state.log_history
                                     if "loss" in e and math.isfinite(float(e["loss"]))), default=0)
        control.should_training_stop = True
        log.warning("%s: the training loss logged at step %d is %s (finite up to step %d): the weights are no "
                    "longer numbers (an overflow in bf16, or a learning rate too high for this seed). Training stops "
                    "here and the best checkpoint is kept; train_log.json records it (non_finite_loss) "
                    "and the report lists the run", self.run, self.step, loss, self.last_finite_step)

    def summary(self) -> dict | None:
        """{"step", "loss", "last_finite_step"} of the first non-finite logged loss, or None."""
        if self.step is None:
            return None
        return {"step": self.step, "loss": str(self.loss), "last_finite_step": self.last_finite_step}

    def record_into(self, history: dict) -> None:
        """Add `summary()` to a train_log's `history` as "non_finite_loss" when training stopped at one."""
        if self.step is not None:
            history["non_finite_loss"] = self.summary()
