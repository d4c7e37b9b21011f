"""The report's figures (matplotlib, Agg): a forest plot of claim parts and Table-2 heatmaps.

Plotting functions return Figure objects, so tests can inspect their artists;
`save` writes a PNG.  Artists carry a gid ("band", "ci95", "ci90", "estimate",
"expected") to be found again.
"""
from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import TwoSlopeNorm  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from repro.kinds import KINDS  # noqa: E402
from repro.paper import TARGETS, normalise  # noqa: E402
from repro.report.records import claim_parts, config_label  # noqa: E402
from repro.stats import Outcome  # noqa: E402
from repro.tasks import get_task  # noqa: E402

# by the one spelling of outcomes, repro.stats.Outcome's values (report.json writes them so)
COLOURS = {Outcome.REPRODUCED.value: "#1a9850", Outcome.NOT_REPRODUCED.value: "#d73027",
           Outcome.INCONCLUSIVE.value: "#e69f00"}
OTHER = "#7f7f7f"
BAND = "#b9c7d9"
LABEL_WIDTH = 60  # characters of a forest-plot row label; report.md keeps the whole label


def colour(outcome: str | None) -> str:
    """The colour of a verdict outcome (grey for anything else: skipped, damaged)."""
    return COLOURS.get(outcome or "", OTHER)


def _band(part: dict, lo: float, hi: float) -> tuple[float, float] | None:
    """The region the claim predicts for the measured value, clipped to the axis [lo, hi]."""
    exp, margin = part["expected"] or 0.0, part["margin"] or 0.0
    band = _style(part)
    if band == "below_margin":
        return (-margin if part["two_sided"] else lo, margin)
    if band == "above_threshold":
        return (part["threshold"] or 0.0, hi)
    if band == "above_zero":
        return (0.0, hi)
    if margin:
        return (exp - margin, exp + margin)
    return None


def _style(part: dict) -> str:
    """The band style of the part's claim kind (repro.kinds); an unknown kind as "around_expected"."""
    kind = KINDS.get(part["kind"])
    return kind.band if kind else "around_expected"


def _limits(parts: list[dict]) -> tuple[float, float]:
    """An axis that shows every estimate, expectation and band edge, and intervals up to a
    reach of three times that span (at least 10 points); longer intervals are cut with an arrow."""
    points = [0.0]
    for p in parts:
        points += [v for v in (p["estimate"], p["expected"], p["threshold"]) if v is not None]
        if p["margin"]:
            points += [(p["expected"] or 0.0) - p["margin"], (p["expected"] or 0.0) + p["margin"]]
    lo, hi = min(points), max(points)
    reach = max(10.0, 3 * (hi - lo))
    for p in parts:
        for ci in (p["ci95"], p["ci90"]):
            if ci and None not in ci:
                lo, hi = min(lo, max(ci[0], min(points) - reach)), max(hi, min(ci[1], max(points) + reach))
    pad = max(0.5, 0.05 * (hi - lo))
    return lo - pad, hi + pad


def short_label(label: str, width: int = LABEL_WIDTH) -> str:
    """`label` in at most `width` characters: its parenthesised details dropped, then cut with "…".
    Longer row labels leave the plot no room (constrained layout gives up)."""
    if len(label) <= width:
        return label
    depth, kept = 0, []
    for ch in label:  # drop "(...)" groups, nested ones included
        depth += ch == "("
        if not depth:
            kept.append(ch)
        depth -= ch == ")" and depth > 0
    label = " ".join("".join(kept).split())
    return label if len(label) <= width else label[:width - 1].rstrip() + "…"


def forest_plot(records: list[dict]) -> Figure:
    """One row per claim part: 95% interval (thin), 90% (thick), estimate coloured by verdict,
    the paper's expected value (black diamond) and the claim's tolerance band (shaded)."""
    parts = claim_parts(records)
    n = max(len(parts), 1)
    fig = Figure(figsize=(11, 2.0 + 0.3 * n), layout="constrained")
    ax = fig.add_subplot()
    lo, hi = _limits(parts)
    for i, p in enumerate(parts):
        y, c = n - 1 - i, colour(p["outcome"])
        band = _band(p, lo, hi)
        if band:
            ax.barh(y, band[1] - band[0], left=band[0], height=0.7, color=BAND, alpha=0.7, gid="band", zorder=1)
        if p["ci95"] and None not in p["ci95"]:
            ax.hlines(y, *np.clip(p["ci95"], lo, hi), color=c, lw=1.6, gid="ci95", zorder=3)
            for end, edge, mark in ((p["ci95"][0], lo, "<"), (p["ci95"][1], hi, ">")):
                if (end < edge) if mark == "<" else (end > edge):  # cut at the axis: an arrow says so
                    ax.plot([edge], [y], mark, ms=6, color=c, gid="cut", zorder=3, clip_on=False)
        if p["ci90"] and None not in p["ci90"]:
            ax.hlines(y, *np.clip(p["ci90"], lo, hi), color=c, lw=5, alpha=0.85, gid="ci90", zorder=3)
        if p["estimate"] is not None:
            point_only = not (p["ci95"] or p["ci90"])
            ax.plot([p["estimate"]], [y], "s" if point_only else "o", ms=8, mfc=c, mec="black", gid="estimate",
                    zorder=4)
        if p.get("early") and p["estimate"] is not None:  # decided before the design's last look
            ax.plot([p["estimate"]], [y + 0.28], "v", ms=6, color="black", gid="early", zorder=5)
        if p["expected"] is not None and _style(p) == "around_expected":
            ax.plot([p["expected"]], [y], "D", ms=7, color="black", gid="expected", zorder=5)
    ax.axvline(0, color="#444", lw=0.8, ls=":")
    ax.set_xlim(lo, hi)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_yticks(range(n - 1, n - 1 - len(parts), -1), [short_label(p["label"]) for p in parts])
    ax.set_xlabel("difference vs baseline (points)")
    title = "Claims: measured difference vs the paper's expectation"
    if any(not r.get("is_evidence", False) for r in records):
        title += "\nSMOKE PROFILE: tiny model on synthetic data, no evidence about the paper"
    ax.set_title(title, color="black")
    ax.grid(axis="x", alpha=0.3)
    handles = [Patch(color=v, label=k.replace("_", " ")) for k, v in COLOURS.items()]  # in words
    handles += [Patch(color=BAND, alpha=0.7, label="tolerance band of the claim")]
    handles += [plt.Line2D([], [], marker="D", color="black", ls="", label="paper's value"),
                plt.Line2D([], [], color=OTHER, lw=6, label="90% CI (thick), 95% CI (thin)"),
                plt.Line2D([], [], marker="s", color=OTHER, mec="black", ls="", label="point estimate, no interval"),
                plt.Line2D([], [], marker=">", color=OTHER, ls="", label="interval cut at the axis")]
    if any(p.get("early") for p in parts):
        handles.append(plt.Line2D([], [], marker="v", color="black", ls="", label="decided early (sequential design)"))
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    return fig


def _match(rows: list[str], measured: dict) -> tuple[list[str], dict[str, str]]:
    """Heatmap rows (the paper's, then unmatched measured ones) and measured config -> row."""
    keys = {normalise(r): r for r in rows}
    rows, mapping = list(rows), {}
    for config in sorted(measured):
        row = keys.get(normalise(config))
        if row is None:
            row = f"{config_label(config)} (not in v1)"
            rows.append(row)
        mapping[config] = row
    return rows, mapping


def _heat(ax, grid: np.ndarray, rows: list[str], title: str, norm) -> Any:
    ax.add_patch(matplotlib.patches.Rectangle((-0.5, -0.5), grid.shape[1], grid.shape[0], fill=False,
                                              hatch="///", edgecolor="#cccccc", lw=0, gid="blank", zorder=0))
    image = ax.imshow(np.ma.masked_invalid(grid), cmap="RdBu", norm=norm, aspect="auto", zorder=1)
    for (i, j), value in np.ndenumerate(grid):
        if np.isfinite(value):
            ax.text(j, i, f"{value:+.1f}", ha="center", va="center", fontsize=7,
                    color="white" if abs(value) > 6 else "black")
    ax.set_xticks(range(len(TARGETS)), [get_task(t).paper_label for t in TARGETS], rotation=45, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    ax.set_title(title, fontsize=10)
    return image


def table2_heatmap(measured: dict[str, dict[str, float]], paper: dict[str, dict[str, float | None]]) -> Figure:
    """Intermediate task × target task differences vs baseline: measured (left) beside the paper (right).

    `measured`: {configuration: {target: Δ}} from stored runs; `paper`: Table 2 rows.  Cells
    without a value are hatched.  Colours saturate at ±10 points; the numbers are printed.
    """
    rows, mapping = _match(list(paper), measured)
    grids = np.full((2, len(rows), len(TARGETS)), np.nan)
    for config, row in mapping.items():
        for j, t in enumerate(TARGETS):
            if measured[config].get(t) is not None:
                grids[0, rows.index(row), j] = measured[config][t]
    for row, values in paper.items():
        for j, t in enumerate(TARGETS):
            if values.get(t) is not None:
                grids[1, rows.index(row), j] = values[t]
    fig = Figure(figsize=(13, 1.8 + 0.33 * len(rows)), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-10.0, vmax=10.0)
    _heat(axes[0], grids[0], rows, "Measured (mean over seeds and languages)", norm)
    image = _heat(axes[1], grids[1], rows, "Paper, v1 Table 2 (dev)", norm)
    fig.colorbar(image, ax=axes, extend="both", shrink=0.8, label="Δ vs XLM-R (points)")
    fig.suptitle("Intermediate task × target task: difference from no intermediate training "
                 "(QA tasks: mean of F1 and EM; hatched: no value)", fontsize=10)
    return fig


def save(fig: Figure, path) -> None:
    """Write `fig` as a PNG."""
    fig.savefig(path, dpi=110)
