"""Judging every claim again from a run store, without computing: the records `repro report` builds
its report from (repro.cli.report is the command; this is what it does)."""
from __future__ import annotations

import sys
from pathlib import Path

from repro import judging
from repro.claims import load_claims
from repro.engine import build_engine
from repro.models import with_tokenizer
from repro.profiles import get_profile
from repro.provenance import git_commit
from repro.rounds import judge_rounds
from repro.report.judged import judged_record
from repro.store import CorruptRunError, MissingRunError


def judge_from_store(store: Path, profile_name, claims: Path, data_dir=None, tokenizer=None) -> list[dict]:
    """Judge every claim from runs already in `store` (compute=False, nothing created); claims lacking
    runs are skipped, claims reading a damaged run are recorded as damaged with the reason."""
    engine = build_engine(with_tokenizer(get_profile(profile_name), tokenizer), store, data_dir, compute=False)
    records, commit = [], git_commit()
    for claim in load_claims(claims):
        try:
            outcome = judge_rounds(claim, engine)  # at the look the store holds (repro.rounds)
        except MissingRunError as err:  # the store's own fix names pytest's --no-compute, which report lacks
            print(f"skipped {claim.id}: {str(err).split(';')[0]}; compute it with `repro run` (or pytest -m claims), "
                  "or point --store at a store that has it", file=sys.stderr)
            continue
        except CorruptRunError as err:
            print(f"damaged {claim.id}: {err}", file=sys.stderr)
            outcome = judging.skipped(claim, f"a run it reads is damaged: {err}", profile=engine.profile.name,
                                      source="engine", is_evidence=engine.profile.is_evidence, outcome="damaged")
        records.append(judged_record(outcome, source="engine", store=store, commit=commit))
    return records
