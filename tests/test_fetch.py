"""`repro fetch`: the downloads are the plan's hub requests, each once; local copies and --dry-run fetch nothing."""
import datasets
import pytest
import transformers

from repro.claims import select_claims
from repro.cli import main
from repro.cli.fetch import downloads, reads
from repro.cli.options import REPO
from repro.data import DataSource
from repro.data_requests import HubRequest, hub_requests, reads_of
from repro.plan import planned_runs
from repro.profiles import PAPER

CLAIMS = REPO / "claims"


@pytest.fixture
def calls(monkeypatch):
    """What the command asks of datasets and transformers, recorded instead of downloaded."""
    made = []
    monkeypatch.setattr(datasets, "load_dataset", lambda path, config, split, revision: made.append(
        HubRequest(path, config, split, revision)))
    for name in ("AutoTokenizer", "AutoModel"):
        monkeypatch.setattr(transformers, name, type(name, (), {"from_pretrained": staticmethod(
            lambda model, name=name: made.append((name, model)))}))
    return made


def test_fetch_makes_every_hub_request_of_the_plan_once_and_loads_the_model(calls, capsys):
    assert main(["fetch", "--profile", "paper", "-k", "squad-gain", "--claims", str(CLAIMS)]) == 0
    runs = planned_runs(select_claims(CLAIMS, "squad-gain"), PAPER, DataSource("hub"))
    expected = {r for run in runs for read in reads_of(run.spec) for r in hub_requests(read)}
    assert calls[:2] == [("AutoTokenizer", PAPER.model), ("AutoModel", PAPER.model)]
    fetched = calls[2:]
    assert sorted(fetched) == fetched and set(fetched) == expected and len(fetched) == len(expected)
    assert HubRequest("rajpurkar/squad", "plain_text", "train", None) in expected  # SQuAD trains XQuAD/MLQA
    assert f"\n{len(expected)} dataset split(s) and the model in the cache\n" in capsys.readouterr().out


def test_dry_run_lists_and_fetches_nothing(calls, capsys):
    assert main(["fetch", "--profile", "paper", "-k", "squad-gain", "--claims", str(CLAIMS), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert calls == [] and f"would fetch model   {PAPER.model}" in out and " and the model to fetch\n" in out


def test_a_local_copy_is_not_fetched(tmp_path):
    (tmp_path / "squad").mkdir()
    runs = planned_runs(select_claims(CLAIMS, "squad-gain"), PAPER, DataSource("hub"))
    hub, local = downloads(reads(runs), DataSource("hub")), downloads(reads(runs), DataSource("hub", tmp_path))
    assert {r.path for r in hub} - {r.path for r in local} == {"rajpurkar/squad"}
    assert set(local) < set(hub)


def test_a_split_held_in_xtremes_layout_is_not_fetched(tmp_path):
    """XNLI's dev in German from XTREME's download folder: only that split and language leave the list."""
    (tmp_path / "xnli").mkdir()
    (tmp_path / "xnli" / "dev-de.tsv").write_text("Ein Satz.\tNoch einer.\tcontradiction\n", encoding="utf-8")
    runs = planned_runs(select_claims(CLAIMS, "xnli-no-benefit"), PAPER, DataSource("hub"))
    hub, layout = downloads(reads(runs), DataSource("hub")), downloads(reads(runs), DataSource("hub", tmp_path))
    skipped = set(hub) - set(layout)
    assert len(skipped) == 1 and set(layout) < set(hub)
    (only,) = skipped
    assert "xnli" in only.path and only.config == "de" and only.split == "validation"


def test_profiles_without_hub_data_fetch_nothing(calls, capsys):
    assert main(["fetch", "--profile", "smoke", "--claims", str(CLAIMS)]) == 0
    assert calls == [] and "reads no hub data" in capsys.readouterr().err


def test_data_the_hub_lacks_is_named_with_how_to_obtain_it(tmp_path):
    from repro.cli.fetch import not_on_the_hub
    runs = planned_runs(select_claims(CLAIMS, "bucc-gain"), PAPER, DataSource("hub"))
    missing = not_on_the_hub(reads(runs), DataSource("hub"))
    assert "comparable.limsi.fr/bucc2018" in missing["bucc2018"] and "LDC2005T13" in missing["ccg"]
    (tmp_path / "bucc2018").mkdir()
    assert "bucc2018" not in not_on_the_hub(reads(runs), DataSource("hub", tmp_path))  # the local copy is there
