"""Vectorised example resampling: count matrices times sufficient-statistic matrices.

Replicates are drawn in fixed blocks of `BLOCK` resamples.  Block j uses its
own generator, seeded from the root `SeedSequence` with spawn key (0, j), and
draws the counts of every resampling group in a fixed order.  The replicates
therefore depend only on the inputs, `n_resamples` and the seed -- not on
`batch` (how many blocks are aggregated at once) nor on how blocks are split
between workers.

Within a block, counts are made a cache-sized piece at a time and multiplied
into the group's statistics at once, so a count matrix never leaves the
cache.  Large groups draw counts by `poisson_counts` (exact multinomial
counts from table look-ups, without a bincount); small ones by `_uniform_counts`.
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import cast

import numpy as np
from scipy import stats as sps

from repro.stats.data import Design

BLOCK = 250  # resamples per random stream; fixed so results do not depend on batch size
CACHE_ELEMENTS = 2**18  # counts made and multiplied at a time (1 MiB of float32)
MIN_ROWS = 32  # fewest resamples per product, so the statistics are read once for many rows
MERGE_MIN = 8  # units sharing identical statistics that are drawn as one merged row
POISSON_MIN = 512  # kept units from which counts come from Poisson tables
_SHORTFALLS = tuple(2.0**-j for j in range(2, 9))  # candidate 1 - rate of the Poisson tables


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


def counts(gen: np.random.Generator, b: int, n: int, m: int, weights=None) -> np.ndarray:
    """Bootstrap counts (b, m) of the first m of n units: each row is Multinomial(n, 1/n) restricted to m.

    When m < n the other n - m units (all-zero rows) are never materialised:
    the draws landing on the m kept units number T ~ Binomial(n, m/n) and
    are uniform over them, which is the same distribution.

    With `weights` (ones first, then larger integers summing to m), column j
    stands for weights[j] interchangeable units and gets their summed count:
    the result is (b, len(weights)), Multinomial over columns with
    probabilities weights/n.
    """
    return Sampler(n, m, weights).draw(gen, b)


class Sampler:
    """Draws the counts of `counts` for one group: its sizes, merged weights and Poisson table, fixed once."""

    def __init__(self, n: int, m: int, weights=None):
        self.n, self.m, self.weights, self.unit_col = n, m, None, None
        if weights is not None:
            weights = np.asarray(weights, np.int64)
            if weights.sum() != m or (weights < 1).any() or ((weights[1:] == 1) & (weights[:-1] != 1)).any():
                raise ValueError("weights must be positive integers summing to m, ones first")
            if len(weights) < m:
                self.weights, self.unit_col = weights, np.repeat(np.arange(len(weights)), weights)
        self.rate = _poisson_rate(n, m)

    def draw(self, gen: np.random.Generator, b: int) -> np.ndarray:
        """Counts (b, columns) as float32."""
        n, m = self.n, self.m
        total = np.full(b, n, np.int64) if m == n else gen.binomial(n, m / n, size=b)
        if self.rate is None:
            return _uniform_counts(gen, total, m, self.unit_col)
        return poisson_counts(gen, total, m, self.rate, self.weights, self.unit_col)


def _uniform_counts(gen, total, m, unit_col=None) -> np.ndarray:
    """Row r: total[r] uniform draws over m units (mapped to columns by unit_col), by one flat bincount."""
    b, cols = len(total), m if unit_col is None else int(unit_col[-1]) + 1
    flat = gen.integers(0, m, size=int(total.sum()), dtype=np.int64)
    if unit_col is not None:
        flat = unit_col[flat]
    flat += np.repeat(np.arange(b, dtype=np.int64) * cols, total)
    return np.bincount(flat, minlength=b * cols).reshape(b, cols).astype(np.float32)


def poisson_counts(gen, total, m, rate, weights=None, unit_col=None) -> np.ndarray:
    """Exact Multinomial(total[r], weights/m) rows, drawn as Poisson counts topped up to the total.

    Given their sum s, independent Poisson(rate * w_j) counts are
    Multinomial(s, w/m) whatever the rate; adding total - s draws with
    probabilities w/m makes them Multinomial(total).  A row whose Poisson sum
    overshoots its total (at most a few per cent of rows, see `_poisson_rate`) is redrawn
    by uniform draws.  Unit columns (w = 1) take Poisson counts from a table
    indexed by 16 random bits; the few bins that hold a quantile are resolved
    with 16 more bits, so the Poisson law is exact to 2**-32.  Merged
    columns (w > 1) use `Generator.poisson`; `unit_col` maps units to
    columns (np.repeat(arange, weights), computed here when not given).
    """
    b = len(total)
    singles = m if weights is None else int(np.count_nonzero(weights == 1))
    table, thresholds = _poisson_table(rate)
    u = _bits16(gen, b * singles)
    x = np.take(table, u)
    amb = np.flatnonzero(x < 0)
    if amb.size:
        low = gen.integers(0, 2**16, size=amb.size, dtype=np.uint64)
        x[amb] = np.searchsorted(thresholds, (u[amb].astype(np.uint64) << np.uint64(16)) | low, side="right")
    if weights is None:
        c, unit_col = x.reshape(b, m), None
    else:
        merged = gen.poisson(rate * weights[singles:], size=(b, len(weights) - singles)).astype(np.float32)
        c = np.concatenate([x.reshape(b, singles), merged], axis=1)
        if unit_col is None:
            unit_col = np.repeat(np.arange(len(weights)), weights)
    cols = c.shape[1]
    short = total - c.sum(axis=1).astype(np.int64)  # float32 sums of counts are exact below 2**24
    over = short < 0
    short[over] = 0
    if short.any():
        idx = gen.integers(0, m, size=int(short.sum()), dtype=np.int64)
        if unit_col is not None:
            idx = unit_col[idx]
        idx += np.repeat(np.arange(b, dtype=np.int64) * cols, short)
        np.add.at(c.reshape(-1), idx, np.float32(1))
    if over.any():
        c[over] = _uniform_counts(gen, total[over], m, unit_col)
    return c


def _bits16(gen: np.random.Generator, size: int) -> np.ndarray:
    """`size` random uint16, four from each raw 64-bit output (little-endian order on every platform)."""
    raw = gen.bit_generator.random_raw(-(-size // 4))
    return raw.astype("<u8", copy=False).view("<u2")[:size]


@lru_cache(maxsize=None)
def _poisson_rate(n: int, m: int) -> float | None:
    """The tabulated rate 1 - 2**-j that minimises the expected work beyond the Poisson draws.

    A shortfall s costs about s * m top-up draws; an overshoot (probability
    P(Binomial total - Poisson(rate m) sum < 0), normal approximation) costs
    a redraw of about m uniform draws.  None below POISSON_MIN units.
    """
    if m < POISSON_MIN:
        return None
    sd = np.sqrt(m * (1 - m / n) + m)  # Binomial total minus Poisson sum, rate ~ 1
    work = [s + 0.5 * math.erfc(s * m / sd / math.sqrt(2)) for s in _SHORTFALLS]  # shortfall + P(overshoot)
    return 1 - _SHORTFALLS[int(np.argmin(work))]


@lru_cache(maxsize=None)
def _poisson_table(rate: float) -> tuple[np.ndarray, np.ndarray]:
    """(table, thresholds) for Poisson(rate) from 32 random bits u.

    thresholds[k] = round(2**32 F(k)); the count is #{k: thresholds[k] <= u}.
    table[j] is that count for every u with top 16 bits j, or -1 where a
    threshold falls inside the bin and the low 16 bits decide.
    """
    top = int(sps.poisson.isf(2.0**-40, rate)) + 1
    thresholds = np.round(sps.poisson.cdf(np.arange(top), rate) * 2.0**32).astype(np.uint64)
    lo = np.arange(2**16, dtype=np.uint64) << np.uint64(16)
    at_lo = np.searchsorted(thresholds, lo, side="right")
    at_hi = np.searchsorted(thresholds, lo + np.uint64(2**16 - 1), side="right")
    table = np.where(at_lo == at_hi, at_lo, -1).astype(np.float32)
    return table, thresholds


def point_scores(design: Design) -> np.ndarray:
    """Aggregate score of every run on the full data, float64: shape (R,)."""
    return _aggregate(design, [g.stats.sum(axis=0)[None] for g in design.groups])[0]


class _GroupMatrix:
    """A group's statistics as a float32 matrix, with repeated rows and columns stored once.

    Units whose statistics are identical in every language and run are
    interchangeable: when `MERGE_MIN` or more share a row it is stored once
    with their number as weight, and draws count for the merged row.
    Columns repeat across runs (every Accuracy 'count', every run's n_gold),
    so the product is taken on the distinct columns and expanded afterwards.
    """

    def __init__(self, group):
        flat = group.stats.reshape(len(group.stats), -1)
        self.m, self.n = len(flat), group.n
        rows, self.weights = _merged_rows(flat)
        first, self.inverse = _distinct_columns(rows)
        self.mat = np.ascontiguousarray(rows[:, first], dtype=np.float32)
        self.shape = group.stats.shape[1:]
        self.rows = min(BLOCK, max(MIN_ROWS, CACHE_ELEMENTS // max(len(self.mat), 1)))
        self.sampler = Sampler(self.n, self.m, self.weights)

    def sums(self, gen, b) -> np.ndarray:
        """Resampled sums (b, L, R, k) for one block, piece by piece in cache."""
        out = np.empty((b, self.mat.shape[1]), np.float32)
        for lo in range(0, b, self.rows):
            k = min(self.rows, b - lo)
            np.matmul(self.sampler.draw(gen, k), self.mat, out=out[lo:lo + k])
        return out[:, self.inverse].reshape((b,) + self.shape)


def _merged_rows(flat) -> tuple[np.ndarray, np.ndarray | None]:
    """(rows, weights): distinct rows shared by MERGE_MIN or more units merged, after the unit rows.

    weights is None when nothing is merged.
    """
    if len(flat) < MERGE_MIN:
        return flat, None
    proj = flat @ np.random.default_rng(0).random((flat.shape[1], 2))  # candidates by a random projection
    _, first, inverse, size = np.unique(proj[:, 0] + 1j * proj[:, 1], return_index=True, return_inverse=True,
                                        return_counts=True)
    inverse = inverse.reshape(-1)
    if not np.array_equal(flat[first[inverse]], flat):  # a projection collision: fall back to exact rows
        _, first, inverse, size = np.unique(flat, axis=0, return_index=True, return_inverse=True,
                                            return_counts=True)
        inverse = inverse.reshape(-1)
    big = size >= MERGE_MIN
    if not big.any():
        return flat, None
    single = flat[~big[inverse]]
    weights = np.concatenate([np.ones(len(single), np.int64), size[big]])
    return np.concatenate([single, flat[first[big]]]), weights


def _distinct_columns(flat) -> tuple[list[int], np.ndarray]:
    """Indices of the distinct columns of `flat`, and each column's position among them."""
    keys = np.random.default_rng(0).random((2, len(flat))) @ flat  # candidates by a random projection
    first: list[int] = []
    seen: dict[tuple, list[int]] = {}
    inverse = np.empty(flat.shape[1], np.int64)
    for j, key in enumerate(zip(*keys)):
        for i in seen.get(key, ()):
            if np.array_equal(flat[:, first[i]], flat[:, j]):
                inverse[j] = i
                break
        else:
            seen.setdefault(key, []).append(len(first))
            inverse[j] = len(first)
            first.append(j)
    return first, inverse


def replicate_scores(design: Design, n_resamples: int, root: np.random.SeedSequence,
                     batch: int = 1000, blocks: range | None = None) -> np.ndarray:
    """Aggregate score of every run in each example-resampling replicate: shape (n_resamples, R).

    One count matrix per group and block serves every configuration and seed
    (and every language of a parallel task).  Arithmetic is float32; counts
    are exact there and scores carry about 1e-5 points of rounding.
    `batch` sets how many resamples are aggregated at once (memory only).
    `blocks` limits the work to a range of blocks, as one worker of several
    would take it: the rows of any split, concatenated, are the full result.
    """
    n_blocks = -(-n_resamples // BLOCK)
    blocks = range(n_blocks) if blocks is None else blocks
    if blocks.step != 1 or not 0 <= blocks.start <= blocks.stop <= n_blocks:
        raise ValueError(f"blocks must be a contiguous range within range({n_blocks}), got {blocks}")
    per_batch = max(1, batch // BLOCK)
    sizes = {j: min(BLOCK, n_resamples - j * BLOCK) for j in blocks}
    out = np.empty((sum(sizes.values()), design.n_runs))
    mats = [_GroupMatrix(g) for g in design.groups]
    lo = 0
    for first in range(blocks.start, blocks.stop, per_batch):
        part = range(first, min(first + per_batch, blocks.stop))
        per_block = []
        for j in part:
            gen = block_generator(root, 0, j)  # one stream per block, drawn group after group
            per_block.append([mat.sums(gen, sizes[j]) for mat in mats])
        sums = [np.concatenate(parts) for parts in zip(*per_block)]
        b = sum(sizes[j] for j in part)
        out[lo:lo + b] = _aggregate(design, sums)
        lo += b
    return out


def _aggregate(design: Design, sums) -> np.ndarray:
    """XTREME functional: mean over tasks of the mean over languages of metric.score.

    `sums[i]` has shape (b, L_i, R, k) for group i; returns (b, R).
    """
    task_total: dict[str, np.ndarray] = {}
    for g, s in zip(design.groups, sums):
        score = np.asarray(design.metrics[g.task].score(s), dtype=np.float64)  # (b, L, R)
        task_total[g.task] = task_total.get(g.task, 0.0) + score.sum(axis=1)
    return cast(np.ndarray, sum(task_total[t] / design.n_langs[t] for t in design.tasks) / len(design.tasks))
