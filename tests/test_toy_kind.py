"""A new claim kind needs one object: this file defines a toy kind (its fields, a field of its own, check, judging from
a claim's runs, replay on v1's numbers, wording and figure band), registers it, and a claim of it
is loaded, planned, judged by the real engine on the smoke profile, replayed and reported.

Nothing outside this file names the toy kind, so a per-kind table or branch left anywhere else
(claims, judging, replay, verdicts, report) makes one of these tests fail.
"""
from dataclasses import replace
from types import MappingProxyType

import pytest

from repro import plan
from repro.claims import Claim, ClaimError
from repro.data import DataSource
from repro.judging import judge
from repro.kinds import ClaimKind, KindClash, get_kind, register
from repro.kinds.base import refuse
from repro.paper.v1 import row_mean, v1_row
from repro.profiles import SMOKE
from repro.replay import replay
from repro.report import claim_record
from repro.report.content import _expected
from repro.report.figures import _band
from repro.results import Comparison, PointResult
from repro.stats import Outcome, Verdict


# --- the kind: one object ----------------------------------------------------------------------
def _number(value):
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return None if ok else f"centre = {value!r} is not a number; write one without quotes, e.g. centre = 0.5"


class Within(ClaimKind):
    """"The configuration changes the target by less than `margin` points either way around `centre`
    (its own field, 0 when not given)": reproduced when the 95% interval lies inside centre ± margin, not
    reproduced when it lies wholly outside, else inconclusive."""

    name = "toy_within"
    fields = ("margin",)
    own_fields = MappingProxyType({"centre": _number})
    band = "around_expected"  # 0 ± margin

    def expected(self, claim):
        return f"within {claim.get('centre', 0.0):+.2f} ± {claim.get('margin'):.2f}"

    def check(self, claim, at, table):
        if claim.margin <= 0:
            raise refuse(at("margin", table), "a toy_within claim needs a margin above 0; write e.g. margin = 1.0")

    def verdict(self, estimate, low, high, margin, label, centre=0.0):
        low, high, estimate = low - centre, high - centre, estimate - centre
        inside, outside = -margin < low and high < margin, high <= -margin or low >= margin
        outcome = Outcome.REPRODUCED if inside else Outcome.NOT_REPRODUCED if outside else Outcome.INCONCLUSIVE
        reason = f"{label}: Δ = {estimate:+.2f}, 95% interval [{low:+.2f}, {high:+.2f}] against ±{margin:g}."
        return Verdict(outcome, self.name, estimate, (low, high), (low, high), reason, label=label)

    def judge(self, claim, evidence):
        comparisons = []
        for config, base in claim.comparisons():
            label = f"{claim.label(config)} vs {claim.label(base)}"
            result = evidence.difference(evidence.runs_of(config), evidence.runs_of(base), label)
            comparisons.append(Comparison(label, result, self.verdict(result.estimate, *result.ci95, claim.margin,
                                                                         label, claim.options.get("centre", 0.0))))
        return comparisons, comparisons[0].verdict

    def replay(self, claim, directory=None):
        (config, base), = claim.comparisons()
        a, b = v1_row(config, directory), v1_row(base, directory)
        if a is None or b is None:
            return f"v1 prints no {claim.label(config)} row"
        delta = row_mean(a, claim.targets) - row_mean(b, claim.targets)
        verdict = self.verdict(delta, delta, delta, claim.margin, claim.label(config))
        return [Comparison(claim.label(config), PointResult(delta, "v1 Table 2"), verdict)], verdict


WITHIN = Within()
CLAIM = """
id = "toy-within"
seed_claim = 0
quote = "Intermediate training on SST-2 leaves PAWS-X within a point."
source = "tests/test_toy_kind.py"
kind = "toy_within"
targets = ["pawsx"]
configurations = [["sst2"]]
baseline = []
margin = 1.0
margin_reason = "a toy tolerance: the test asks for a verdict, not a particular one"
"""
# tiny data in two languages, so the seven runs (the base model, SST-2 and two targets per seed) take
# about a second each on one core (the tiny model may well predict one class: the verdict is not the point)
PROFILE = replace(SMOKE, seeds=(1, 2), fixture_sizes=MappingProxyType({"train": 64, "validation": 24, "test": 8}),
                  smoke_languages=MappingProxyType({**SMOKE.smoke_languages, "pawsx": ("en", "de")}))


@pytest.fixture
def toy_kind():
    with register(WITHIN) as kind:
        yield kind


def _claim(tmp_path, text=CLAIM) -> Claim:
    path = tmp_path / "toy-within.toml"
    path.write_text(text)
    return Claim.from_file(path)


def test_registering_adds_the_kind_for_the_block_only(tmp_path):
    with pytest.raises(ClaimError, match="unknown kind 'toy_within'"):
        _claim(tmp_path)
    with register(WITHIN):
        assert get_kind("toy_within") is WITHIN
        with pytest.raises(KindClash, match="'toy_within' is registered already"):
            with register(Within()):
                pass
    with pytest.raises(KindClash, match="'magnitude' is registered already; give the new claim kind another name"):
        with register(type("Magnitude", (Within,), {"name": "magnitude"})()):
            pass
    with pytest.raises(KeyError, match="unknown claim kind 'toy_within'"):
        get_kind("toy_within")


def test_the_kind_gives_fields_checks_wording_and_band(toy_kind, tmp_path):
    claim = _claim(tmp_path)
    assert claim.kind_object is WITHIN and claim.needs_runs and claim.splits() == ("validation",)
    with pytest.raises(ClaimError, match=r"toy-within\.toml, line \d+: a toy_within claim needs field\(s\) margin"):
        _claim(tmp_path, CLAIM.replace("margin = 1.0\n", ""))
    with pytest.raises(ClaimError, match=r"line \d+: a toy_within claim needs a margin above 0"):
        _claim(tmp_path, CLAIM.replace("margin = 1.0", "margin = 0.0"))
    assert _expected({"kind": "toy_within", "margin": 1.0}) == "within +0.00 ± 1.00"
    part = {"kind": "toy_within", "expected": None, "margin": 1.0, "threshold": 0.0, "two_sided": False}
    assert _band(part, -10.0, 10.0) == (-1.0, 1.0)


def test_paper_v1_replays_the_kind_through_its_object(toy_kind, tmp_path):
    on_qa = _claim(tmp_path, CLAIM.replace('["pawsx"]', '["xquad", "mlqa"]').replace('"sst2"', '"squad"'))
    outcome = replay(on_qa)
    (comparison,) = outcome.comparisons
    assert outcome.source == "paper-v1" and outcome.skipped is None
    assert comparison.result.estimate == pytest.approx(row_mean(v1_row(("squad",)), ("xquad", "mlqa")))
    assert outcome.verdict.outcome == Outcome.NOT_REPRODUCED  # SQuAD's printed gain there: +1.7 points
    on_xnli = replay(_claim(tmp_path, CLAIM.replace('["pawsx"]', '["xnli", "pawsx"]').replace('"sst2"', '"squad"')))
    assert on_xnli.verdict.outcome == Outcome.REPRODUCED  # there: -0.35
    missing = replay(_claim(tmp_path, CLAIM.replace('"sst2"', '"mnli"')))
    assert missing.skipped == "paper-v1 cannot speak to this part: v1 prints no mnli row"


def test_a_claim_of_the_toy_kind_is_judged_by_the_engine(toy_kind, tmp_path):
    from repro.engine import Engine
    from repro.store import RunStore

    claim = _claim(tmp_path)
    data = DataSource("fixture", fixture_sizes=PROFILE.fixture_sizes)
    planned = plan.claim_runs(claim, PROFILE, data)
    assert sorted(r.kind for r in planned) == ["intermediate", "intermediate", "pretrained"] + ["target"] * 4
    outcome = judge(claim, Engine(RunStore(tmp_path / "runs"), data, PROFILE, compute=True))
    (comparison,) = outcome.comparisons
    low, high = comparison.result.ci95
    assert outcome.seeds == (1, 2) and len(outcome.runs) == 4 and low <= comparison.result.estimate <= high
    assert all(name.startswith("target-pawsx-") and (tmp_path / "runs" / name).is_dir() for name in outcome.runs)
    assert outcome.verdict is comparison.verdict and outcome.verdict.kind == "toy_within"
    expected = (Outcome.REPRODUCED if -1 < low and high < 1 else Outcome.NOT_REPRODUCED
                if high <= -1 or low >= 1 else Outcome.INCONCLUSIVE)
    assert outcome.verdict.outcome == expected
    record = claim_record(outcome)  # the report's schema takes it as any other kind's
    assert record["claim"]["kind"] == "toy_within" and record["verdict"]["outcome"] == expected.value


def test_the_kinds_own_field_is_checked_kept_and_reported(toy_kind, tmp_path):
    claim = _claim(tmp_path, CLAIM + "centre = 0.5\n")
    assert claim.options == {"centre": 0.5} and _claim(tmp_path).options == {}
    with pytest.raises(ClaimError, match=r"line \d+: centre = 'near' is not a number; write one without quotes"):
        _claim(tmp_path, CLAIM + 'centre = "near"\n')
    verdict = WITHIN.verdict(0.6, 0.2, 1.0, 1.0, "x", centre=claim.options["centre"])
    assert verdict.outcome == Outcome.REPRODUCED and WITHIN.verdict(0.6, 0.2, 1.0, 1.0, "x").outcome == Outcome.INCONCLUSIVE
    outcome = replay(_claim(tmp_path, CLAIM.replace('"sst2"', '"mnli"') + "centre = 0.5\n"))  # skipped: no v1 row
    assert claim_record(outcome)["claim"]["centre"] == 0.5  # beside the common fields
    assert _expected({"kind": "toy_within", "margin": 1.0, "centre": 0.5}) == "within +0.50 ± 1.00"
    # another kind does not know the field; a kind may not take a common field's name as its own
    magnitude = CLAIM.replace('kind = "toy_within"', 'kind = "magnitude"') + "expected = 1.0\ncentre = 0.5\n"
    with pytest.raises(ClaimError, match=r"unknown field\(s\) centre"):
        _claim(tmp_path, magnitude)
    shadow = type("Shadow", (Within,), {"name": "toy_shadow", "own_fields": MappingProxyType({"margin": _number})})()
    with pytest.raises(KindClash, match="own field\\(s\\) margin are common claim fields"):
        with register(shadow):
            pass
