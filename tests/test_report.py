"""The report: figures' structure, self-contained HTML, stable JSON, compare, rebuild from a store."""
from __future__ import annotations

import copy
import hashlib
import io
import json
import re

import matplotlib.colors as mcolors
import pytest

from repro.paper import read_table2, table2_differences
from repro.report import build_report, compare, compare_lines
from repro.cli.report import add_report_parser, main
from repro.report.figures import COLOURS, forest_plot, table2_heatmap
from repro.report.records import config_label, readable
from repro.report.schema import (SCHEMA_VERSION, ReportSchemaError, check_record, check_report, claim_record,
                                 read_report, upgrade)
from repro.report.runs import TargetRun, language_tables, load_runs, target_differences
from repro.store import write_manifest
from tests.report_outcomes import SEEDS, records


RECORDS = records()


def _record(cid, *, outcome=None, runs=(), profile=None, source=None):
    """A copy of a real record under another id (and verdict outcome, run list, profile or source)."""
    rec = copy.deepcopy(RECORDS[0])
    rec["claim"]["id"], rec["runs"] = cid, list(runs)
    if outcome is not None:
        rec["verdict"]["outcome"] = outcome
    rec.update({k: v for k, v in (("profile", profile), ("source", source)) if v is not None})
    return rec


def _write_run(root, name, spec, metrics=None, wall=2.0):
    """A finished run folder as the store writes it (spec.json, files, MANIFEST.json); its folder name."""
    key = hashlib.sha256(name.encode()).hexdigest()
    folder = root / f"{name}-{key[:16]}"
    folder.mkdir(parents=True)
    (folder / "spec.json").write_text(json.dumps({"key": key, "spec": spec}))
    if metrics is not None:
        (folder / "metrics.json").write_text(json.dumps(metrics))
    (folder / "timings.json").write_text(json.dumps({"total_s": wall}))
    (folder / "env.json").write_text(json.dumps({"commit": "abc123", "packages": {"torch": "2.13"},
                                                 "processor": "x86_64", "threads": 1, "gpu": None}))
    write_manifest(folder)
    return folder.name


def _key(root, folder_name):
    return json.loads((root / folder_name / "spec.json").read_text())["key"]


@pytest.fixture
def store(tmp_path):
    """A store: baseline and from-mnli xnli runs over two seeds, plus their parents."""
    root = tmp_path / "store"
    base = _write_run(root, "pretrained-base-s0", {"kind": "pretrained"})
    mnli = _write_run(root, "intermediate-mnli-s1", {"kind": "intermediate", "tasks": ["mnli"]})
    names = []
    for seed in (1, 2):
        for config, parent, bump in ((None, base, 0.0), ("mnli", mnli, 2.0)):
            name = f"target-xnli-{'from-mnli-' if config else ''}s{seed}"
            names.append(_write_run(root, name, {"kind": "target", "eval_task": "xnli", "seed": seed,
                                                 "data": "fake-v1", "parent": _key(root, parent)},
                                    {"xnli": {"validation": {"en": {"accuracy": 80.0 + bump + seed},
                                                             "de": {"accuracy": 70.0 + 2 * bump}},
                                              "test": {"en": {"accuracy": 10.0}, "de": {"accuracy": 10.0}}}}))
    return root, names


def test_the_records_come_from_judged_outcomes():
    a, b, c = RECORDS
    # planted +8 points; the fixed units and 3 seeds' draws (their keys) move the estimate inside the 8 ± 2 band
    assert a["verdict"]["outcome"] == "reproduced" and 6.0 <= a["verdict"]["estimate"] <= 10.0
    assert 6.0 <= a["verdict"]["ci90"][0] <= a["verdict"]["ci90"][1] <= 10.0  # the magnitude rule: 90% CI in the band
    assert [x["verdict"]["outcome"] for x in b["comparisons"]][0] == "not_reproduced"
    assert b["verdict"]["outcome"] == "not_reproduced"
    assert c["verdict"]["ci95"] is None and c["comparisons"][0]["seeds"] == [] and c["source"] == "paper-v1"


def test_forest_plot_has_one_row_per_claim_part_with_bands_and_verdict_colours():
    fig = forest_plot(RECORDS)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["a-claim", "b-claim · MNLI", "b-claim · SQuAD", "c-claim"]
    bands = [p for p in ax.patches if p.get_gid() == "band"]
    assert len(bands) == 4
    estimates = [line for line in ax.lines if line.get_gid() == "estimate"]
    assert len(estimates) == 4
    colours = [mcolors.to_hex(line.get_markerfacecolor()) for line in estimates]
    parts = [RECORDS[0]["verdict"], *[x["verdict"] for x in RECORDS[1]["comparisons"]], RECORDS[2]["verdict"]]
    assert colours == [COLOURS[p["outcome"]] for p in parts]
    assert colours[0] == COLOURS["reproduced"] and colours[1] == COLOURS["not_reproduced"]
    # intervals only where the record has them (c-claim is a point estimate)
    assert len([c for c in ax.collections if c.get_gid() == "ci95"]) == 3
    # the magnitude band is expected ± margin
    a_band = bands[0]
    assert a_band.get_x() == pytest.approx(6.0) and a_band.get_width() == pytest.approx(4.0)


def test_forest_plot_cuts_an_interval_far_wider_than_the_claims_at_the_axis_with_arrows():
    wide = _record("d-claim")
    wide["comparisons"][0]["result"]["ci95"] = [-300.0, 300.0]
    ax = forest_plot([RECORDS[0], wide]).axes[0]
    lo, hi = ax.get_xlim()
    assert -40 < lo < 0 and 10 < hi < 50  # the claims' points and bands, plus a bounded reach
    assert len([line for line in ax.lines if line.get_gid() == "cut"]) == 2


def test_long_row_labels_are_shortened_so_the_forest_plot_keeps_its_layout():
    import warnings

    from repro.report.figures import short_label
    chosen = ", ".join(f"{t}: MNLI" for t in ("xnli", "pawsx", "udpos", "panx", "xquad", "mlqa", "tydiqa"))
    label = f"best per target ({chosen}; chosen on validation) vs XLM-R as published (Hu et al. 2020: 68.12)"
    assert short_label(label) == "best per target vs XLM-R as published"
    assert short_label("b-claim · MNLI") == "b-claim · MNLI"  # short labels stay whole
    assert short_label("x" * 100) == "x" * 59 + "…"
    long = _record("long-claim")
    long["comparisons"] = [{**copy.deepcopy(long["comparisons"][0]), "configuration": config}
                           for config in (label, "mnli")]  # two parts: rows labelled "claim · configuration"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "constrained_layout not applied because axes sizes collapsed"
        fig = forest_plot([*RECORDS, long])
        fig.savefig(io.BytesIO(), dpi=60)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert max(map(len, labels)) <= 60 and "long-claim · best per target vs XLM-R as published" in labels


def test_configurations_are_labelled_in_the_papers_words():
    nine = "anli_plus+mnli+qqp+squad+hellaswag+cosmosqa+commonsenseqa+ccg+sst2"
    assert config_label(nine) == "Multi-task (9 tasks)"
    assert config_label(nine + "+mlm") == "Multi-task (9 tasks) + MLM"
    assert config_label("squad+mlm") == "SQuAD + MLM" and config_label("mnli_translated") == "MNLI (translated)"
    assert config_label("mlm") == "MLM" and config_label("boolq") == "boolq"
    assert readable("squad+mlm vs squad") == "SQuAD + MLM vs SQuAD"
    assert readable(f"xnli: mnli, pawsx: {nine}") == "xnli: MNLI, pawsx: Multi-task (9 tasks)"


def test_heatmap_cells_are_the_xtreme_task_score_not_every_metric():
    def run(target, config, metrics):
        return TargetRun(f"{target}-{config}", target, config, 1, "d", {"en": metrics})
    runs = [run("panx", "XLM-R", {"f1": 50.0, "precision": 10.0, "recall": 90.0}),
            run("panx", "mnli", {"f1": 54.0, "precision": 30.0, "recall": 60.0}),
            run("xquad", "XLM-R", {"exact_match": 40.0, "f1": 60.0}),
            run("xquad", "mnli", {"exact_match": 44.0, "f1": 62.0}),
            run("bucc2018", "XLM-R", {"f1": 20.0, "threshold": 1.5}),
            run("bucc2018", "mnli", {"f1": 25.0, "threshold": None})]
    diffs = target_differences(language_tables(runs))["mnli"]
    assert diffs == {"panx": pytest.approx(4.0), "xquad": pytest.approx(3.0), "bucc2018": pytest.approx(5.0)}


def test_heatmap_matches_paper_table_and_blanks_missing_cells():
    paper = table2_differences()
    assert paper["SQuAD"]["tatoeba"] == pytest.approx(46.9)
    assert paper["SQuAD"]["xquad"] == pytest.approx((1.1 + 1.3) / 2)  # QA: mean of F1 and EM
    fig = table2_heatmap({"squad": {"xnli": -1.0}, "mnli": {"xnli": 0.2}}, paper)
    measured, published = fig.axes[0], fig.axes[1]
    rows = [t.get_text() for t in measured.get_yticklabels()]
    assert rows[: len(paper)] == list(paper) and rows[-1] == "MNLI (not in v1)"
    grid = measured.images[0].get_array()
    assert grid[rows.index("SQuAD"), 0] == pytest.approx(-1.0)
    assert grid.mask[rows.index("SQuAD"), 1]  # no measured PAWS-X run: blank
    assert any(p.get_gid() == "blank" and p.get_hatch() for p in measured.patches)
    assert published.images[0].get_array()[rows.index("QQP"), 0] == pytest.approx(-1.4)
    assert len(read_table2()) == 17


def test_html_is_self_contained(tmp_path):
    build_report(RECORDS, tmp_path)
    page = (tmp_path / "report.html").read_text()
    assert not re.search(r"https?://", page)
    assert page.count('src="data:image/png;base64,') == 2
    assert "<link" not in page and "<script" not in page
    assert "no evidence" in page.lower()
    assert "—" in page and "point estimate, no interval" in page
    for name in ("report.md", "report.json", "forest.png", "table2-heatmap.png"):
        assert (tmp_path / name).is_file()


def test_json_is_stable(tmp_path, store):
    root, names = store
    recs = [_record("a-claim", runs=names)]
    build_report(recs, tmp_path / "one", store=root)
    build_report(list(reversed(copy.deepcopy(recs))), tmp_path / "two", store=root)
    one, two = (tmp_path / "one" / "report.json").read_bytes(), (tmp_path / "two" / "report.json").read_bytes()
    assert one == two
    payload = json.loads(one)
    assert payload["schema_version"] == SCHEMA_VERSION
    check_report(payload)
    assert one.decode() == json.dumps(payload, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def test_compare_detects_changed_added_removed(tmp_path, capsys):
    old = {"claims": [_record("a-claim"), _record("b-claim")]}
    changed = _record("a-claim", outcome="not_reproduced")
    changed["verdict"]["estimate"] = -2.0
    new = {"claims": [changed, _record("c-claim")]}
    diff = compare(old, new)
    estimate = RECORDS[0]["verdict"]["estimate"]
    assert diff["changed"] == [("a-claim", "reproduced", "not_reproduced", estimate, -2.0)]
    assert diff["added"] == ["c-claim"] and diff["removed"] == ["b-claim"]
    lines = compare_lines(old, new)
    assert f"changed a-claim: reproduced -> not_reproduced (estimate {estimate:+.2f} -> -2.00)" in lines
    assert lines[0] == "A: profile smoke, source engine; B: profile smoke, source engine"
    replay = {"claims": [_record("a-claim", profile="paper", source="paper-v1")]}
    assert compare_lines(old, replay)[0].endswith("(different origins: changes may come from the origin, not the code)")
    (tmp_path / "a.json").write_text(json.dumps({"schema_version": 1, **old}))
    (tmp_path / "b.json").write_text(json.dumps({"schema_version": 1, **new}))
    assert main(["--compare", str(tmp_path / "a.json"), str(tmp_path / "b.json")]) == 0
    assert "changed a-claim" in capsys.readouterr().out


def test_runs_are_read_from_the_store_layout(store):
    root, names = store
    runs, extra = load_runs(root, names)
    assert {r.configuration for r in runs} == {"XLM-R", "mnli"} and extra["missing"] == []
    assert extra["wall_s"] == pytest.approx(8.0)
    tables = language_tables(runs)
    rows = tables["xnli"]["accuracy"]["rows"]
    assert rows["XLM-R"]["mean"]["en"] == pytest.approx(81.5) and rows["XLM-R"]["seeds"] == 2
    assert rows["mnli"]["diff"] == pytest.approx({"en": 2.0, "de": 4.0, "all": 3.0})
    assert target_differences(tables) == {"mnli": {"xnli": pytest.approx(3.0)}}


def test_rebuild_from_json_and_store_via_cli(tmp_path, store):
    root, names = store
    first = tmp_path / "first"
    build_report([_record("a-claim", runs=names)], first, store=root)
    again = tmp_path / "again"
    assert main(["--from-json", str(first / "report.json"), "--store", str(root), "--out", str(again)]) == 0
    assert (again / "report.json").read_bytes() == (first / "report.json").read_bytes()
    md = (again / "report.md").read_text()
    assert "| mnli (Δ) | 2 | +2.00 | +4.00 | +3.00 |" in md
    assert "fake-v1" in md and "8.0 s" in md and "abc123" in md
    # without a store, the JSON alone carries the tables and provenance
    alone = tmp_path / "alone"
    assert main(["--from-json", str(first / "report.json"), "--out", str(alone)]) == 0
    assert (alone / "report.json").read_bytes() == (first / "report.json").read_bytes()


def test_add_report_parser_registers_subcommand():
    import argparse
    parser = argparse.ArgumentParser()
    add_report_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["report", "--store", "s", "--out", "o"])
    assert args.store == "s" and args.out == "o" and callable(args.func)


def test_the_seeds_column_shows_the_seeds_each_comparison_ran(tmp_path):
    for record in RECORDS[:2]:
        assert record["seeds"] == list(SEEDS)
        assert [c["seeds"] for c in record["comparisons"]] == [list(SEEDS)] * len(record["comparisons"])
        assert all(c["result"]["n_seeds_a"] == len(SEEDS) for c in record["comparisons"])
    build_report(RECORDS, tmp_path)
    md = (tmp_path / "report.md").read_text()
    rows = [line for line in md.splitlines() if line.startswith(("| mnli |", "| squad |"))]
    assert len(rows) == 4  # a-claim's, b-claim's two, c-claim's printed value
    assert [("| 1, 2, 3 |" in line, "point estimate" in line) for line in rows] == \
        [(True, False)] * 3 + [(False, True)]
    assert "| — | reproduced |" in rows[3]  # a printed value was run on no seeds


def test_a_record_lists_each_run_once_and_the_schema_refuses_repeats():
    from dataclasses import replace

    from tests.report_outcomes import judged
    outcome = judged("r-claim", kind="magnitude", expected=8.0, margin=2.0)
    record = claim_record(replace(outcome, runs=outcome.runs + outcome.runs[:2]))
    assert record["runs"] == list(outcome.runs) and len(set(record["runs"])) == len(record["runs"]) == 6
    repeated = r"claim record r-claim\.runs: expected run folder names, each listed once"
    with pytest.raises(ReportSchemaError, match=repeated):
        check_record({**record, "runs": record["runs"] + record["runs"][:1]})


def test_the_schema_names_the_field_and_the_fix():
    record = copy.deepcopy(RECORDS[0])
    del record["seeds"]
    with pytest.raises(ReportSchemaError, match="missing field.* seeds; rebuild it"):
        check_record(record)
    record = copy.deepcopy(RECORDS[0])
    record["comparisons"][0]["seeds"] = "1, 2"
    with pytest.raises(ReportSchemaError, match=r"a-claim\.comparisons\[0\]\.seeds: expected list, found str"):
        check_record(record)
    with pytest.raises(ReportSchemaError, match="is_evidence: expected bool, found int"):
        check_record({**RECORDS[0], "is_evidence": 1})
    with pytest.raises(ReportSchemaError, match="schema_version 7 is not one this code reads"):
        upgrade({"schema_version": 7, "claims": []})
    for claims in (3, [3]):  # a version-1 payload whose claims are no records
        with pytest.raises(ReportSchemaError, match="report.claims: expected a list of claim records"):
            upgrade({"claims": claims})


def test_an_older_report_json_is_upgraded_on_reading(tmp_path):
    old = [copy.deepcopy(r) for r in RECORDS]
    for record in old:
        for comp in record["comparisons"]:
            del comp["seeds"]
    old[0]["runs"] = old[0]["runs"] + old[0]["runs"][:1]
    (tmp_path / "report.json").write_text(json.dumps({"schema_version": 1, "claims": old}))
    payload = read_report(tmp_path / "report.json")
    assert payload["schema_version"] == SCHEMA_VERSION
    assert [[c["seeds"] for c in r["comparisons"]] for r in payload["claims"]] == \
        [[list(SEEDS)], [list(SEEDS)] * 2, [[]]]
    assert payload["claims"][0]["runs"] == RECORDS[0]["runs"]
    (tmp_path / "bad.json").write_text("{nope")
    with pytest.raises(ReportSchemaError, match="bad.json: not a JSON report"):
        read_report(tmp_path / "bad.json")


def test_a_damaged_run_marks_the_claims_that_read_it_and_the_report_still_builds(tmp_path, store):
    root, names = store
    metrics = root / names[1] / "metrics.json"
    text = metrics.read_text()
    metrics.write_text(text.replace("83.0", "93.0"))  # same size, other bytes
    assert metrics.read_text() != text
    runs, extra = load_runs(root, names)
    assert [r.name for r in runs] == sorted(set(names) - {names[1]})
    assert list(extra["damaged"]) == [names[1]] and "SHA-256" in extra["damaged"][names[1]]
    touched, untouched = _record("a-claim", runs=names), _record("b-claim", runs=[names[0]])
    build_report([touched, untouched], tmp_path / "out", store=root)
    claims = {r["claim"]["id"]: r for r in json.loads((tmp_path / "out" / "report.json").read_text())["claims"]}
    assert list(claims["a-claim"]["damaged_runs"]) == [names[1]] and "damaged_runs" not in claims["b-claim"]
    md = (tmp_path / "out" / "report.md").read_text()
    assert "reproduced (runs damaged)" in md and f"Damaged run {names[1]}: " in md and f"damaged: {names[1]}" in md
    assert "| XLM-R | 2 |" in md  # the tables still hold the runs that are whole


def test_runs_whose_chain_stopped_at_a_non_finite_loss_are_listed(tmp_path, store):
    """A phase whose loss became NaN (repro/divergence.py) is named, with its step, for every run read above it."""
    root, names = store
    build_report([_record("a-claim", runs=names)], tmp_path / "clean", store=root)
    assert "Training stopped at a non-finite loss (repro/divergence.py; the best checkpoint before it kept): none" \
        in (tmp_path / "clean" / "report.md").read_text()
    mnli = next(root.glob("intermediate-mnli-s1-*"))
    record = {"step": 3000, "loss": "nan", "last_finite_step": 2000}
    (mnli / "train_log.json").write_text(json.dumps({"non_finite_loss": record}))
    write_manifest(mnli)
    _, extra = load_runs(root, names)
    assert extra["non_finite_loss"] == {mnli.name: record} and extra["damaged"] == {}
    build_report([_record("a-claim", runs=names)], tmp_path / "out", store=root)
    assert f"kept): {mnli.name} (step 3000)" in (tmp_path / "out" / "report.md").read_text()
    payload = json.loads((tmp_path / "out" / "report.json").read_text())
    assert payload["provenance"]["non_finite_loss"] == {mnli.name: record}


def test_the_report_reads_the_store_and_creates_nothing_in_it(tmp_path, store):
    root, names = store
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    build_report([_record("a-claim", runs=names)], tmp_path / "out", store=root)
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
    _, extra = load_runs(tmp_path / "no-store", names[:1])
    assert extra["missing"] == names[:1] and not (tmp_path / "no-store").exists()


def test_repro_report_records_a_claim_with_a_damaged_run_as_damaged_and_judges_the_rest(tmp_path, monkeypatch):
    import repro.judging
    from repro.cli.options import REPO
    from repro.report.rejudge import judge_from_store
    from repro.store import CorruptRunError

    def judge(claim, engine):
        if claim.id == "squad-gain":
            raise CorruptRunError("runs/target-xquad-s1-0123: metrics.json does not match its recorded SHA-256")
        return repro.judging.skipped(claim, "stand-in", profile="smoke", source="engine")
    monkeypatch.setattr(repro.judging, "judge", judge)
    records = {r["claim"]["id"]: r for r in judge_from_store(tmp_path / "store", None, REPO / "claims")}
    assert records["squad-gain"]["verdict"]["outcome"] == "damaged"
    assert "metrics.json does not match" in records["squad-gain"]["verdict"]["reason"]
    assert {r["verdict"]["outcome"] for cid, r in records.items() if cid != "squad-gain"} == {"skipped"}
    assert not (tmp_path / "store").exists()
