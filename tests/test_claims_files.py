"""The claim files: every seed claim and part present, complete, valid, and honest on smoke."""
from pathlib import Path

import pytest

from repro.claims import KINDS, Claim, ClaimError, intermediate_names, load_claims
from repro.plan import missing_tasks
from repro.profiles import INTERMEDIATE_TASKS, PAPER, SMOKE

CLAIMS = Path(__file__).resolve().parents[1] / "claims"
ALL = load_claims(CLAIMS)
BY_ID = {c.id: c for c in ALL}


def test_every_seed_claim_has_its_parts():
    parts = {n: sorted(c.id for c in ALL if c.seed_claim == n) for n in range(1, 10)}
    assert all(parts.values()), f"seed claims without a part: {[n for n, p in parts.items() if not p]}"
    assert parts[1] == ["hellaswag-gain", "mnli-gain", "squad-gain"]
    assert parts[4] == ["tydiqa-gain", "xnli-no-benefit"]
    assert parts[6] == ["mlm-no-gain", "translated-no-gain"]
    assert {c.kind for c in ALL} <= set(KINDS) and {"best", "best_per_target", "setup"} <= {c.kind for c in ALL}
    assert [BY_ID[i].kind for i in ("setup-xlmr-large", "setup-three-phases", "setup-nine-tasks")] == ["setup"] * 3


@pytest.mark.parametrize("part", ALL, ids=[c.id for c in ALL])
def test_a_claim_states_its_quote_source_and_reasons(part):
    claim = part
    assert claim.quote and claim.source and len(claim.margin_reason) > 40
    if not claim.quote.rstrip().endswith("."):  # the seed cut it short: the file must say how it is completed
        assert "seed" in claim.completion.lower() and len(claim.completion) > 60
    if claim.smoke:
        smoke = claim.for_smoke()
        assert len(claim.smoke["reason"]) > 40
        # fewer configurations, never other ones: the same rule on a subset
        assert set(smoke.configurations) <= set(claim.configurations)
        assert smoke.kind == claim.kind and smoke.targets == claim.targets and smoke.margin == claim.margin


def test_claim_expectations_match_the_paper():
    assert [BY_ID[i].expected for i in ("squad-gain", "mnli-gain", "hellaswag-gain")] == [8.2, 7.5, 7.0]
    assert BY_ID["multitask-best"].expected == 8.7 and BY_ID["best-per-target-xtreme"].expected == 5.4
    best = BY_ID["multitask-best"]
    assert set(best.configurations[0]) == set(INTERMEDIATE_TASKS) and len(best.configurations) == 10
    assert BY_ID["best-per-target-xtreme"].split == "test" and BY_ID["best-per-target-xtreme"].select_split == "validation"
    mlm = BY_ID["mlm-no-gain"]
    assert all(c == (*b, "mlm") for c, b in mlm.comparisons())


def test_both_profiles_can_train_every_configuration_and_target_of_every_claim():
    for claim in ALL:
        if claim.kind == "setup":
            continue
        for profile in (SMOKE, PAPER):
            assert not missing_tasks(claim.for_profile(profile)[0], profile), (claim.id, profile.name)


def test_smoke_seed_count_yields_to_the_users_choice():
    claim = BY_ID["mnli-gain"]
    assert claim.for_profile(SMOKE)[1].seeds == (1, 2)
    assert claim.for_profile(SMOKE.with_seeds(4), seeds_chosen=True)[1].seeds == (1, 2, 3, 4)
    assert claim.for_profile(PAPER)[1] is PAPER


def test_configuration_names_include_mlm_and_translations():
    names = intermediate_names()
    assert {"mlm", "mnli_translated", "sst2"} <= set(names) and "xnli" not in names


GOOD = dict(id="x", seed_claim=1, quote="q.", source="s", kind="improves", margin_reason="r",
            targets=("xnli",), configurations=(("mnli",),), threshold=0.0)


@pytest.mark.parametrize("change, message", [
    (dict(configurations=(("mnli", "xnli"),)), "unknown intermediate task"),
    (dict(configurations=(("mnli", "mnli"),)), "names a task twice"),
    (dict(targets=("nope",)), "unknown target task"),
    (dict(baselines=(("qqp",), ("squad",))), "2 baselines for 1 configurations"),
    (dict(at_least=2), "at_least = 2"),
    (dict(split="dev"), "unknown split"),
    (dict(kind="best"), "at least one other"),
    (dict(kind="best_per_target", expected=1.0, margin=1.0, configurations=(("mnli",), ("qqp",)),
          split="validation"), "winner's curse"),
    (dict(kind="setup", check="weather"), "unknown setup check"),
    (dict(smoke={"configurations": [["mnli"]]}), "must give a reason"),
    (dict(smoke={"reason": "r", "configurations": [["typo"]]}), "[smoke]: unknown intermediate task"),
])
def test_a_bad_claim_names_the_problem(change, message):
    with pytest.raises(ClaimError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Claim(**{**GOOD, **change})._check("claims/x.toml")


def test_a_claim_file_missing_its_kind_fields_is_refused(tmp_path):
    (tmp_path / "m.toml").write_text('id = "m"\nseed_claim = 1\nquote = "q"\nsource = "s"\nkind = "magnitude"\n'
                                     'margin_reason = "r"\ntargets = ["xnli"]\nconfigurations = [["mnli"]]\n')
    with pytest.raises(ClaimError, match="m.toml, line 5: a magnitude claim needs field.s. expected, margin; add them"):
        load_claims(tmp_path)
    (tmp_path / "m.toml").write_text((tmp_path / "m.toml").read_text() + "expected = 1.0\nmargin = 0.5\n")
    assert load_claims(tmp_path)[0].expected == 1.0


@pytest.mark.parametrize("edit, where, message", [
    (lambda t: t.replace('targets = ["xnli"]', 'targets = ["xnlii"]'), "line 7", "unknown target task 'xnlii'"),
    (lambda t: t.replace('kind = "magnitude"', 'kind == "magnitude"'), "line 5", "not valid TOML"),
    (lambda t: t + "colour = 1\n", "line 11", "unknown field(s) colour"),
    (lambda t: t + '\n[smoke]\nreason = "r"\nconfigurations = [["typo"]]\n', "[smoke], line 14",
     "unknown intermediate task(s) ['typo']"),
])
def test_a_bad_claim_file_names_its_line(tmp_path, edit, where, message):
    text = ('id = "m"\nseed_claim = 1\nquote = "q"\nsource = "s"\nkind = "magnitude"\nmargin_reason = "r"\n'
            'targets = ["xnli"]\nconfigurations = [["mnli"]]\nexpected = 1.0\nmargin = 0.5\n')
    (tmp_path / "m.toml").write_text(edit(text))
    with pytest.raises(ClaimError) as err:
        load_claims(tmp_path)
    assert str(err.value).startswith(f"{tmp_path / 'm.toml'}{' ' if where.startswith('[') else ', '}{where}: ")
    assert message in str(err.value)


def test_a_named_target_set_is_the_tasks_it_names(tmp_path):
    from repro.claims import TARGET_SETS
    from repro.paper import TARGETS
    text = (CLAIMS / "squad-gain.toml").read_text()
    assert 'targets = "xtreme"' in text
    assert Claim.from_file(CLAIMS / "squad-gain.toml").targets == TARGET_SETS["xtreme"] == TARGETS
    listed = tmp_path / "listed.toml"
    listed.write_text(text.replace('targets = "xtreme"', "targets = " + str(list(TARGETS)).replace("'", '"')))
    assert Claim.from_file(listed).targets == TARGETS
    unknown = tmp_path / "unknown.toml"
    unknown.write_text(text.replace('targets = "xtreme"', 'targets = "xtrem"'))
    with pytest.raises(ClaimError, match=r"unknown\.toml, line \d+: unknown target set 'xtrem'; one of xtreme"):
        Claim.from_file(unknown)


def test_one_object_per_claim_kind_gives_fields_rules_wording_and_bands():
    from repro.kinds import DifferenceKind
    from repro.report.content import _expected
    from repro.report.figures import _band
    compared = {name for name, kind in KINDS.items() if isinstance(kind, DifferenceKind)}
    assert compared == {"no_benefit", "magnitude", "improves", "beats"}
    assert KINDS["magnitude"].fields == ("expected", "margin") and KINDS["setup"].fields == ("check",)
    assert _expected({"kind": "no_benefit", "margin": 1.0, "two_sided": True}) == "no gain above 1.00 (either way)"
    assert _expected({"kind": "magnitude", "expected": 8.2, "margin": 1.5}) == "+8.20 ± 1.50"
    part = {"kind": "improves", "expected": None, "margin": 0.0, "threshold": 2.0, "two_sided": False}
    assert _band(part, -10.0, 10.0) == (2.0, 10.0)
    assert _band({**part, "kind": "magnitude", "expected": 8.0, "margin": 1.0}, -10.0, 10.0) == (7.0, 9.0)


def test_claim_5_chooses_from_every_configuration_the_other_claims_train():
    """The paper's pool: single tasks, with MLM and the multi-task; not the baseline nor translated data."""
    pool = set(BY_ID["best-per-target-xtreme"].configurations)
    trained = {c for claim in ALL if claim.id != "best-per-target-xtreme" and claim.kind != "setup"
               for c in claim.configurations_used() if c}
    assert pool == {c for c in trained if not any(t.endswith("_translated") for t in c)}
    assert ("squad", "mlm") in pool and tuple(INTERMEDIATE_TASKS) in pool and () not in pool
    # smoke's pool is what smoke trains for the other claims (their [smoke] tables applied), likewise
    smoke_pool = set(BY_ID["best-per-target-xtreme"].for_smoke().configurations)
    smoke_trained = {c for claim in ALL if claim.id != "best-per-target-xtreme" and claim.kind != "setup"
                     for c in claim.for_smoke().configurations_used() if c}
    assert smoke_pool == {c for c in smoke_trained if not any(t.endswith("_translated") for t in c)} < pool
