"""Setup claims (model, phases, intermediate tasks), checked against the `paper` profile and the registry.

Each check returns (outcome, reason): reproduced when the suite's `paper`
configuration does what the paper says, not reproduced when it contradicts it
(a task the paper names that the registry or the profile cannot train included),
inconclusive when the profile configures no intermediate task, so no run can be built.
"""
from __future__ import annotations

from repro import plan
from repro.data import DataSource
from repro.profiles import PAPER, TinyModel
from repro.stats import Outcome, Verdict
from repro.tasks import TASKS, get_task

R, N, I = Outcome.REPRODUCED, Outcome.NOT_REPRODUCED, Outcome.INCONCLUSIVE


def _specs(profile):
    """A phase-(ii)-then-(iii) target run and a baseline target run of `profile`, for its first
    configured intermediate task; (None, None) when it configures none."""
    data = DataSource(profile.data_source)
    inter = next((t for t in profile.intermediate_tasks if t in profile.intermediate), None)
    if inter is None:
        return None, None
    target = next(iter(profile.target))
    return (plan.target_spec(profile, data, target, intermediate=(inter,), seed=profile.seeds[0]),
            plan.target_spec(profile, data, target, intermediate=None, seed=profile.seeds[0]))


def check_model(value, profile=PAPER):
    """Every run of the profile starts from the public checkpoint `value`."""
    if profile.model != value:
        return N, f"profile {profile.name} uses {profile.model!r}, not {value!r}"
    with_inter, base = _specs(profile)
    if with_inter is None:
        return I, f"profile {profile.name} configures no intermediate task, so no run can be checked"
    models = {s.base_model for s in (with_inter, with_inter.parent, base)}
    if models != {value}:
        return N, f"runs of profile {profile.name} start from {sorted(map(str, models))}, not only {value!r}"
    return R, f"profile {profile.name} and its phase-(ii) and phase-(iii) runs all start from {value}"


def check_phases(value, profile=PAPER):
    """(i) the public MLM checkpoint, (ii) English intermediate training, (iii) target training; baseline (i)+(iii)."""
    with_inter, base = _specs(profile)
    if with_inter is None:
        return I, f"profile {profile.name} configures no intermediate task"
    inter = with_inter.parent
    chain = [with_inter.kind, inter.kind if inter else None, inter.parent if inter else "none"]
    problems = []
    if isinstance(profile.model, TinyModel) or chain != ["target", "intermediate", None]:
        problems.append(f"a target run's chain is {chain}, expected target <- intermediate <- the public checkpoint")
    if base.kind != "target" or base.parent is not None:
        problems.append("the baseline does not train the target straight from the public checkpoint")
    english = [t for t, _ in inter.train if get_task(t).languages != ("en",)] if inter else []
    if english:
        problems.append(f"intermediate task(s) {english} are not English-only")
    if len(chain) != int(value):
        problems.append(f"{len(chain)} phases, the paper has {value}")
    if problems:
        return N, "; ".join(problems)
    return R, (f"{value} phases on profile {profile.name}: {inter.tasks} trains on English from "
               f"{profile.model}, then {with_inter.eval_task} is trained and evaluated zero-shot; the baseline "
               "skips phase (ii)")


def check_intermediate_tasks(value, profile=PAPER):
    """The profile studies exactly the paper's nine English intermediate tasks, each one trainable."""
    expected = tuple(value)
    have = tuple(profile.intermediate_tasks)
    if len(set(have)) != len(have) or len(have) != len(expected):
        return N, f"profile {profile.name} names {len(set(have))} distinct intermediate tasks, the paper {len(expected)}"
    if set(have) != set(expected):
        return N, (f"profile {profile.name} names {sorted(set(have) - set(expected))} instead of "
                   f"{sorted(set(expected) - set(have))}")
    not_english = [t for t in have if t in TASKS and get_task(t).languages != ("en",)]
    if not_english:
        return N, f"intermediate task(s) {not_english} are not English-only in the registry"
    untrainable = [t for t in have if t not in TASKS or t not in profile.intermediate]
    if untrainable:
        return N, (f"profile {profile.name} names the nine, but {len(untrainable)} cannot be trained (not in the "
                   f"task registry or without a training configuration): {', '.join(untrainable)}")
    return R, f"profile {profile.name} trains the nine English intermediate tasks {', '.join(have)}"


CHECKS = {"model": check_model, "phases": check_phases, "intermediate_tasks": check_intermediate_tasks}


def judge_setup(claim, profile=PAPER) -> Verdict:
    """The verdict of a setup claim: its check against `profile` (the paper profile by default)."""
    outcome, why = CHECKS[claim.check](claim.value, profile)
    return Verdict(outcome, "setup", None, None, None, f"{why}.", label=claim.id)
