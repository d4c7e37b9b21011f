"""A mixture's arithmetic, pure (no torch, no transformers): the sampling rule, its length and each
task's expected examples, shared by the planner and cost model (`repro.plan`, `repro.cost`) and the
multi-task trainer (`repro.multitask`, which describes the rule in full).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from repro.tasks import get_task

K = 2 ** 17  # per-task cap on examples in the sampling rate (v1 App. A)
MLM_TASK = "mlm"  # continued multilingual MLM, a pseudo-task that rides along in a mixture


def is_mixture(tasks: Sequence[str]) -> bool:
    """True when phase (ii) on `tasks` trains through the mixture: several tasks, or MLM."""
    return len(tasks) > 1 or any(not get_task(t).format.predicts for t in tasks)


def mixture_rates(sizes: Mapping[str, int], cap: int = K) -> dict[str, float]:
    """Sampling probability of each task: min(e_m, cap) / sum_n min(e_n, cap)."""
    if not sizes:
        raise ValueError("a mixture needs at least one task")
    bad = {name: e for name, e in sizes.items() if e < 1}
    if bad:
        raise ValueError(f"tasks without training examples cannot be mixed: {bad}")
    capped = {name: min(int(e), cap) for name, e in sizes.items()}
    total = sum(capped.values())
    return {name: c / total for name, c in capped.items()}


def mixture_batches(sizes: Mapping[str, int], batch_sizes: Mapping[str, int], epochs: float, cap: int = K) -> int:
    """Batches in `epochs` passes over the capped total C at the expected batch size b: ceil(epochs C / b)."""
    rates = mixture_rates(sizes, cap)
    expected_batch = sum(rates[n] * batch_sizes[n] for n in rates)
    capped_total = sum(min(e, cap) for e in sizes.values())
    return max(1, math.ceil(epochs * capped_total / expected_batch))


def mixture_length(sizes: Mapping[str, int], batch_sizes: Mapping[str, int], epochs: float,
                   task_epochs: Mapping[str, float], cap: int = K, features: Mapping[str, int] | None = None) -> int:
    """Batches of a phase-(ii) mixture; `task_epochs` are each task's single-task epochs, `features`
    its training features (QA windows, tagging chunks: what an epoch iterates; default `sizes`).

    Without MLM (or MLM alone): `mixture_batches`.  With MLM mixed into tasks: the fewest batches
    in which every task expects the features of the same configuration without MLM
    (`examples_without_mlm`) at its rate in the mixture with MLM.
    """
    tasks = {name: e for name, e in sizes.items() if name != MLM_TASK}
    if MLM_TASK not in sizes or not tasks:
        return mixture_batches(sizes, batch_sizes, epochs, cap)
    target = examples_without_mlm(tasks, batch_sizes, epochs, task_epochs, cap, features)
    rates = mixture_rates(sizes, cap)
    # several tasks keep their relative rates, so every task asks for the same number (up to rounding)
    return max(1, math.ceil(max(target[n] / (rates[n] * batch_sizes[n]) for n in tasks) - 1e-9))


def examples_without_mlm(tasks: Mapping[str, int], batch_sizes: Mapping[str, int], epochs: float,
                         task_epochs: Mapping[str, float], cap: int = K,
                         features: Mapping[str, int] | None = None) -> dict[str, float]:
    """Training features each task sees in the configuration without MLM: a single task its
    epochs over all its features; a mixture its expected share of `epochs` passes over the capped
    total (whose batches draw features at the rates of the rows)."""
    if len(tasks) == 1:
        (name, e), = tasks.items()
        return {name: task_epochs[name] * (features or tasks)[name]}
    rates = mixture_rates(tasks, cap)
    batches = epochs * sum(min(e, cap) for e in tasks.values()) / sum(rates[n] * batch_sizes[n] for n in tasks)
    return {n: batches * rates[n] * batch_sizes[n] for n in tasks}


def expected_examples(sizes: Mapping[str, int], batch_sizes: Mapping[str, int], batches: int,
                      cap: int = K) -> dict[str, float]:
    """Examples each task of a mixture expects in `batches` batches: batches * p_m * b_m."""
    rates = mixture_rates(sizes, cap)
    return {n: batches * rates[n] * batch_sizes[n] for n in sizes}


def spec_examples(spec, sizes: Mapping[str, int]) -> dict[str, float]:
    """Training examples each task of the phase-(ii) `spec` sees, given its tasks' training-set
    `sizes`: epochs x size for a single task, the expected draws of the mixture otherwise."""
    if spec.mixture is None:
        return {name: config.epochs * sizes[name] for name, config in spec.train}
    batch_sizes = {name: config.batch_size for name, config in spec.train}
    batches = mixture_length(sizes, batch_sizes, spec.mixture.epochs,
                             {name: config.epochs for name, config in spec.train})
    return expected_examples(sizes, batch_sizes, batches)
