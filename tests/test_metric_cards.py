"""The metric cards of `repro/evaluate_metrics/<task>/README.md` are what `repro.metric_cards` generates
from the registry, the metrics and the protocol, in the layout of Hugging Face `evaluate`'s cards."""
import ast
import shutil

import pytest
import yaml

from repro import metric_cards
from repro.metric_cards import CARD_NAME, CARDS_ROOT, GENERATOR, card, card_tasks

# the sections of an `evaluate` metric card, in their order
SECTIONS = ("# Metric Card for", "## Metric Description", "## How to Use", "### Inputs", "### Output Values",
            "#### Values from Popular Papers", "## Limitations and Bias", "## Citation(s)", "## Further References")


def test_every_evaluate_module_has_a_card():
    assert set(card_tasks()) == {p.parent.name for p in CARDS_ROOT.glob(f"*/{CARD_NAME}")}
    assert len(card_tasks()) == 9


@pytest.mark.parametrize("task", card_tasks())
def test_the_committed_card_is_the_generated_one(task):
    committed = (CARDS_ROOT / task / CARD_NAME).read_text(encoding="utf-8")
    assert committed == card(task), f"the {task} card is out of date: regenerate it with `{GENERATOR}`"


@pytest.mark.parametrize("task", card_tasks())
def test_a_card_has_evaluates_front_matter_and_sections(task):
    text = card(task)
    _, front, body = text.split("---\n", 2)
    meta = yaml.safe_load(front)
    assert meta["title"].startswith("XTREME ") and {"evaluate", "metric"} <= set(meta["tags"])
    assert meta["description"].startswith("XTREME's ") and "\n" not in meta["description"]
    positions = [body.index(section) for section in SECTIONS]
    assert positions == sorted(positions)
    assert "@inproceedings{hu2020xtreme" in body and "XTREME's evaluate.py" in body


def test_a_card_holds_the_registry_facts_and_the_papers_numbers():
    text = card("bucc2018")
    assert "Languages (4): de, fr, ru, zh" in text
    assert "a claim's `test` reads `test`" in text
    assert "| XLM-R (Hu et al., 2020) | 66.0 | v1, XTREME block" in text  # v1-xtreme-scores.csv
    assert "| XLM-R, dev sets | 71.5 | v1, Table 2" in text  # v1-table2-dev.csv
    assert "- **BUCC on dev**:" in text and "Departs from XTREME" in text  # repro/protocol.py
    assert "| XLM-R (ours) | 70.2 | 51.2 |" in card("mlqa")  # QA: F1 and EM


def test_the_example_in_a_card_is_what_the_evaluate_module_returns(tmp_path):
    import evaluate
    from repro.evaluate_metrics import metric_path

    lines = card("xnli").splitlines()
    call = next(line for line in lines if line.startswith(">>> metric.compute("))
    printed = lines[lines.index(call) + 1]
    arguments = ast.parse(call.removeprefix(">>> "), mode="eval").body.keywords
    module = evaluate.load(metric_path("xnli"), cache_dir=str(tmp_path))
    result = module.compute(**{a.arg: ast.literal_eval(a.value) for a in arguments})
    assert {k: round(v, 4) for k, v in result.items()} == ast.literal_eval(printed)


def test_check_names_a_stale_card_and_write_repairs_it(tmp_path, capsys):
    root = tmp_path / "evaluate_metrics"
    shutil.copytree(CARDS_ROOT, root)
    assert metric_cards.main(["--check", "--root", str(root)]) == 0
    (root / "panx" / CARD_NAME).write_text(card("panx").replace("0 to 100", "0 to 1"), encoding="utf-8")
    (root / "xnli" / CARD_NAME).unlink()
    assert metric_cards.main(["--check", "--root", str(root)]) == 1
    assert (f"metric cards missing or out of date under {root}: panx, xnli; regenerate them with "
            "`python -m repro.metric_cards --write`") in capsys.readouterr().err
    assert metric_cards.main(["--write", "--root", str(root)]) == 0
    assert metric_cards.main(["--check", "--root", str(root)]) == 0
