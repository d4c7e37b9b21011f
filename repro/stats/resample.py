"""Vectorised example resampling: count matrices times sufficient-statistic matrices.

Replicates are drawn in fixed blocks of `BLOCK` resamples.  Block j uses its
own generator, seeded from the root `SeedSequence` with spawn key (0, j), and
draws the counts of every resampling group in a fixed order.  The replicates
therefore depend only on the inputs, `n_resamples` and the seed -- not on
`batch` (how many blocks are computed at once) nor on how blocks are split
between workers.
"""
from __future__ import annotations

import numpy as np

from repro.stats.data import Design

BLOCK = 250  # resamples per random stream; fixed so results do not depend on batch size
CACHE_ELEMENTS = 2**16  # counts generated per bincount call


def root_seed(rng) -> np.random.SeedSequence:
    """A SeedSequence from an int, a SeedSequence, a Generator (one draw is taken) or None."""
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, np.random.Generator):
        return np.random.SeedSequence(int(rng.integers(2**63)))
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.SeedSequence(rng)
    raise TypeError(f"rng must be an int, a numpy SeedSequence or Generator, or None; got {type(rng).__name__}")


def block_generator(root: np.random.SeedSequence, stream: int, block: int) -> np.random.Generator:
    """The generator of one block of one stream (0: examples, 1 + c: seed weights of configuration c)."""
    ss = np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + (stream, block))
    return np.random.Generator(np.random.PCG64(ss))


def counts(gen: np.random.Generator, b: int, n: int, m: int) -> np.ndarray:
    """Bootstrap counts (b, m) of the first m of n units: each row is Multinomial(n, 1/n) restricted to m.

    When m < n the other n - m units (all-zero rows) are never materialised:
    the draws landing on the m kept units number T ~ Binomial(n, m/n) and
    are uniform over them, which is the same distribution.
    """
    out = np.empty((b, m), np.float32)
    rows = max(1, CACHE_ELEMENTS // max(m, 1))  # bincount in cache-sized pieces
    for lo in range(0, b, rows):
        k = min(rows, b - lo)
        offsets = np.arange(k, dtype=np.int64) * m
        if m == n:
            idx = gen.integers(0, m, size=(k, m), dtype=np.int64)
            idx += offsets[:, None]
            flat = idx.ravel()
        else:
            total = gen.binomial(n, m / n, size=k)
            flat = gen.integers(0, m, size=int(total.sum()), dtype=np.int64)
            flat += np.repeat(offsets, total)
        out[lo:lo + k] = np.bincount(flat, minlength=k * m).reshape(k, m)
    return out


def point_scores(design: Design) -> np.ndarray:
    """Aggregate score of every run on the full data, float64: shape (R,)."""
    return _aggregate(design, [g.stats.sum(axis=0)[None] for g in design.groups])[0]


def replicate_scores(design: Design, n_resamples: int, root: np.random.SeedSequence,
                     batch: int = 1000) -> np.ndarray:
    """Aggregate score of every run in each example-resampling replicate: shape (n_resamples, R).

    One count matrix per group and block serves every configuration and seed
    (and every language of a parallel task).  Arithmetic is float32; counts
    are exact there and scores carry about 1e-5 points of rounding.
    """
    n_blocks = -(-n_resamples // BLOCK)
    per_batch = max(1, batch // BLOCK)
    out = np.empty((n_resamples, design.n_runs))
    mats = [g.stats.reshape(len(g.stats), -1).astype(np.float32) for g in design.groups]
    for first in range(0, n_blocks, per_batch):
        blocks = range(first, min(first + per_batch, n_blocks))
        gens = [block_generator(root, 0, j) for j in blocks]
        sizes = [min(BLOCK, n_resamples - j * BLOCK) for j in blocks]
        sums = []
        for g, mat in zip(design.groups, mats):
            c = np.concatenate([counts(gen, b, g.n, len(mat)) for gen, b in zip(gens, sizes)])
            sums.append((c @ mat).reshape((len(c),) + g.stats.shape[1:]))
        lo = first * BLOCK
        out[lo:lo + sum(sizes)] = _aggregate(design, sums)
    return out


def _aggregate(design: Design, sums) -> np.ndarray:
    """XTREME functional: mean over tasks of the mean over languages of metric.score.

    `sums[i]` has shape (b, L_i, R, k) for group i; returns (b, R).
    """
    task_total = {}
    for g, s in zip(design.groups, sums):
        score = np.asarray(design.metrics[g.task].score(s), dtype=np.float64)  # (b, L, R)
        task_total[g.task] = task_total.get(g.task, 0.0) + score.sum(axis=1)
    return sum(task_total[t] / design.n_langs[t] for t in design.tasks) / len(design.tasks)
