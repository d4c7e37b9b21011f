"""What the report says: claims, figures, per-language tables and provenance, as document blocks."""
from __future__ import annotations

from repro.kinds import KINDS
from repro.report.judged import differs_note
from repro.report.records import DASH, interval, measured, num, sorted_records
from repro.report.runs import BASELINE
from repro.stats.sequential import look_text

TITLE = "Verification report: Phang et al. (2020), English intermediate-task training on XTREME"
NO_EVIDENCE = ("Smoke profile: no evidence. These verdicts come from a tiny randomly initialised model on "
               "synthetic data. They test the machinery, not the paper.")
FIGURES = (("forest.png", "Forest plot: every claim part against the paper's value and tolerance"),
           ("table2-heatmap.png", "Intermediate × target task differences: measured beside v1 Table 2"))


def _expected(c: dict) -> str:
    kind = KINDS.get(c.get("kind") or "")
    return kind.expected(c) if kind else f"{num(c.get('expected'))} ± {num(c.get('margin'), False)}"


def claim_blocks(records: list[dict]) -> list[tuple]:
    """The summary table and one section per claim."""
    rows = []
    for r in sorted_records(records):
        c, v = r["claim"], r["verdict"]
        rows.append([c["id"], c.get("kind", DASH), r.get("source", "engine"), _expected(c), num(v.get("estimate")),
                     interval(v.get("ci90")), interval(v.get("ci95")),
                     v.get("outcome", DASH) + (" (earlier run)" if differs_note(r) else "")
                     + (" (runs damaged)" if r.get("damaged_runs") else "")])
    blocks: list[tuple] = [("table", ["claim", "kind", "results from", "paper expects (points)", "measured Δ", "90% CI",
                         "95% CI", "verdict"], rows)]
    for r in sorted_records(records):
        c, v = r["claim"], r["verdict"]
        baseline = "+".join(c.get("baseline") or []) or "XLM-R (no intermediate training)"
        items = [f"Source: {c.get('source', DASH)}",
                 f"Kind: {c.get('kind', DASH)}; targets: {', '.join(c.get('targets') or []) or DASH}; "
                 f"baseline: {baseline}",
                 f"Expected (paper): {_expected(c)} — {c.get('margin_reason') or 'no reason recorded'}",
                 f"Measured: {measured(v)}",
                 f"Verdict: {v.get('outcome', DASH)} — {v.get('reason') or DASH}"]
        if r.get("sequential"):  # the look of the sequential design (repro.stats.sequential.look_text)
            items.append(look_text(r["sequential"]))
        if v.get("seeds_needed"):
            items.append(f"Seeds that would likely decide it: {v['seeds_needed']}")
        if c.get("note"):
            items.append(f"Note: {c['note']}")
        items.append(f"Profile {r.get('profile', DASH)}; seeds {', '.join(map(str, r.get('seeds') or [])) or DASH}; "
                     f"results from {r.get('source', 'engine')}")
        if differs_note(r):
            items.append("Judged: " + differs_note(r))
        for name, why in sorted((r.get("damaged_runs") or {}).items()):
            items.append(f"Damaged run {name}: {why}; recompute it (`repro run --only {name}`)")
        blocks += [("h3", c["id"]), ("quote", c.get("quote", "")), ("ul", items)]
        comps = r.get("comparisons") or []
        if comps:
            blocks.append(("table", ["configuration", "Δ", "90% CI", "95% CI", "seeds", "verdict", "reason"],
                           [[comp.get("configuration", DASH), num((comp.get("result") or {}).get("estimate")),
                             interval((comp.get("result") or {}).get("ci90")),
                             interval((comp.get("result") or {}).get("ci95")),
                             ", ".join(map(str, comp.get("seeds") or [])) or DASH,
                             (comp.get("verdict") or {}).get("outcome", DASH),
                             (comp.get("verdict") or {}).get("reason", DASH)] for comp in comps]))
        if r.get("runs"):
            blocks.append(("p", "Runs: " + ", ".join(r["runs"])))
    return blocks


def table_blocks(tables: dict) -> list[tuple]:
    """Per target task and metric: baseline absolute, every configuration as a difference from it."""
    if not tables:
        return [("p", "No run store was given, or it holds none of the runs: no per-language tables.")]
    blocks = []
    for target, by_metric in sorted(tables.items()):
        for metric, table in sorted(by_metric.items()):
            langs = table["languages"]
            rows = []
            for config, row in table["rows"].items():
                values = row["mean"] if config == BASELINE else (row["diff"] or {})
                fmt = (lambda x: num(x, False)) if config == BASELINE else num
                label = config if config == BASELINE else f"{config} (Δ)"
                rows.append([label, str(row["seeds"])] + [fmt(values.get(k)) for k in [*langs, "all"]])
            blocks += [("h3", f"{target} — {metric}"),
                       ("table", ["configuration", "seeds", *langs, "mean"], rows)]
    return blocks


def provenance_blocks(prov: dict) -> list[tuple]:
    """Commit, versions, hardware, profile, data, seeds, wall time."""
    builder, runs = prov.get("report_environment") or {}, prov.get("runs") or {}
    packages = runs.get("packages") or builder.get("packages") or {}
    wall = prov.get("wall_s")
    items = [f"Profile(s): {', '.join(prov.get('profiles') or []) or DASH}",
             f"Evidence: {'yes' if prov.get('is_evidence') else 'no (smoke or mixed profiles)'}",
             f"Data identity: {', '.join(prov.get('data') or []) or DASH}",
             f"Seeds: {', '.join(map(str, prov.get('seeds') or [])) or DASH}",
             f"Runs listed: {prov.get('run_count', 0)}; missing from the store: "
             f"{', '.join(prov.get('missing') or []) or 'none'}; "
             f"damaged: {', '.join(prov.get('damaged') or []) or 'none'}",
             "Training stopped at a non-finite loss (repro/divergence.py; the best checkpoint before it kept): "
             + (", ".join(f"{name} (step {r.get('step')})" for name, r in (prov.get("non_finite_loss") or {}).items())
                or "none"),
             f"Wall time of the runs (sum of timings.json): {DASH if wall is None else f'{wall:.1f} s'}",
             f"Commit of the runs: {', '.join(runs.get('commits') or []) or DASH}; "
             f"of the report: {builder.get('commit') or DASH}",
             f"Hardware of the runs: {', '.join(runs.get('hardware') or []) or DASH}",
             "Packages: " + (", ".join(f"{k} {v}" for k, v in sorted(packages.items())) or DASH),
             f"Report built with Python {builder.get('python', DASH)} on {builder.get('platform', DASH)}",
             f"Intervals: {prov.get('interval_estimator') or DASH}"]
    return [("ul", items)]


def methods_blocks(rows: list[dict]) -> list[tuple]:
    """Every protocol choice with its source, then the deviations from the paper and from XTREME."""
    if not rows:
        return [("p", "This report records no protocol table (built from an older report.json).")]
    out = [("p", "Every protocol choice of the runs, with its source (repro/protocol.py). A deviation says "
                 "from what and why; the setting is where to change it."),
           ("table", ["topic", "what the suite does", "source", "deviates from", "setting"],
            [[r["topic"], r["choice"], r["source"], ", ".join(r["deviates_from"]) or DASH, r.get("setting") or DASH]
             for r in rows])]
    for reference, title in (("paper", "Deviations from the paper"), ("XTREME", "Deviations from XTREME")):
        found = [r for r in rows if reference in r["deviates_from"]]
        out += [("h3", title), ("ul", [f"{r['topic']}: {r['why']}" for r in found] or ["none"])]
    return out


def blocks(records: list[dict], tables: dict, prov: dict, figures: list[str],
           methods: list[dict] | None = None) -> list[tuple]:
    """The whole report."""
    out: list[tuple] = [("h1", TITLE)]
    if any(not r.get("is_evidence", False) for r in records):
        out.append(("banner", NO_EVIDENCE))
    out += [("h2", "Claims")] + claim_blocks(records)
    out += [("h2", "Methods")] + methods_blocks(methods or [])
    out += [("h2", "Figures")] + [("img", name, alt) for name, alt in FIGURES if name in figures]
    out += [("h2", "Where the effects come from: per target task and language"),
            ("p", "Mean over seeds of each run's metric per language; the baseline row is absolute, the other "
                  "rows are differences from it (points).")] + table_blocks(tables)
    out += [("h2", "Provenance")] + provenance_blocks(prov)
    return out
