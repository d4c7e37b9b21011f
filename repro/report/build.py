"""`build_report`: records (+ an optional run store) -> report.md, report.html, report.json, PNG figures."""
from __future__ import annotations

import os
from pathlib import Path

from repro.paper import table2_differences
from repro.provenance import environment
from repro.report import content, figures
from repro.report.document import to_html, to_markdown
from repro.report.records import sorted_records
from repro.report.runs import language_tables, load_runs, target_differences
from repro.report.schema import dumps, mark_damaged, report_payload
from repro.stats import ESTIMATOR


def provenance(records: list[dict], runs: list, extra: dict) -> dict:
    """What the report's numbers rest on: profiles, data, seeds, commits, versions, hardware, wall time."""
    envs = [r.env for r in runs if r.env]
    packages: dict[str, str] = {}
    for env in envs:
        for name, version in (env.get("packages") or {}).items():
            if version:
                packages[name] = ", ".join(sorted({*packages.get(name, "").split(", "), version} - {""}))
    hardware = {f"{e.get('gpu') or 'CPU'} ({e.get('processor', '?')}, {e.get('threads', '?')} threads)"
                for e in envs}
    return {"profiles": sorted({r.get("profile") for r in records if r.get("profile")}),
            "is_evidence": bool(records) and all(r.get("is_evidence", False) for r in records),
            "seeds": sorted({s for r in records for s in r.get("seeds") or []}),
            "data": sorted({r.data for r in runs if r.data}),
            "run_count": len({n for r in records for n in r.get("runs") or []}),
            "missing": extra.get("missing", []), "damaged": sorted(extra.get("damaged") or {}),
            "non_finite_loss": dict(sorted((extra.get("non_finite_loss") or {}).items())),
            "wall_s": extra.get("wall_s"),
            "runs": {"commits": sorted({e["commit"] for e in envs if e.get("commit")}),
                     "hardware": sorted(hardware), "packages": packages},
            "report_environment": environment(), "interval_estimator": ESTIMATOR}


def protocol_rows(records: list[dict]) -> list[dict]:
    """The Methods rows (repro.protocol) for the profile the records were judged on."""
    from repro.profiles import PROFILES, get_profile
    from repro.protocol import methods

    names = [r.get("profile") for r in records if r.get("profile") in PROFILES]
    target = get_profile(names[0]).target if names else {}
    tydiqa, xnli = target.get("tydiqa"), target.get("xnli")
    return methods(tydiqa_train=tydiqa.train_languages if tydiqa else "en",
                   xnli_batch=xnli.batch_size * xnli.gradient_accumulation if xnli else 32)


def build_report(records: list[dict], out_dir, *, store=None, paper_dir=None, previous: dict | None = None) -> list[Path]:
    """Write report.md, report.html, report.json and the PNG figures into `out_dir`; return their paths.

    `records` are claim records (repro.report.schema.claim_record, checked here).  With `store`, the runs the records list are read
    from it for the per-language tables, the measured heatmap and the provenance.  Without one,
    `previous` (a report.json payload) supplies those parts, so a report rebuilds from its JSON alone.
    `paper_dir` overrides where the paper's CSVs are read ($REPRO_PAPER_DIR, else the packaged copy).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    records = sorted_records(records)
    if store is not None:
        names = sorted({n for r in records for n in r.get("runs") or []})
        runs, extra = load_runs(store, names)
        records = mark_damaged(records, extra["damaged"])  # the rest of the report builds without them
        tables, prov = language_tables(runs), provenance(records, runs, extra)
    else:
        previous = previous or {}
        tables = previous.get("tables") or {}
        prov = previous.get("provenance") or provenance(records, [], {"wall_s": None})
    methods = (previous or {}).get("methods") if store is None and previous else protocol_rows(records)
    measured = target_differences(tables)
    paths = []
    for name, fig in (("forest.png", figures.forest_plot(records)),
                      ("table2-heatmap.png", figures.table2_heatmap(measured, table2_differences(paper_dir)))):
        figures.save(fig, out / name)
        paths.append(out / name)
    doc = content.blocks(records, tables, prov, [p.name for p in paths], methods)
    payload = report_payload(records, tables=tables, methods=methods, table2_measured=measured, provenance=prov,
                             figures=[p.name for p in paths])
    for name, text in (("report.md", to_markdown(doc)), ("report.html", to_html(doc, out, content.TITLE)),
                       ("report.json", dumps(payload))):
        partial = out / f".{name}.partial"  # replaced in one step: an interrupted write loses no report
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, out / name)
        paths.append(out / name)
    return paths
