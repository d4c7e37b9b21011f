"""The planted world's tasks (`repro.fixtures.planted`): classification with known transfer.

They exist only as fixtures and only the `planted` profile (`repro.planted`) trains them;
the paper's profiles, claims and plans never name them.
"""
from __future__ import annotations

from repro.fixtures import planted
from repro.metrics import Accuracy
from repro.tasks.base import Task
from repro.tasks.classification import CLASSIFICATION

OBTAIN = "planted tasks are synthetic: they exist only as fixtures, on the planted profile (repro.planted)"
SOURCE = "the planted world (repro/fixtures/planted.py); effects calibrated in docs/planted.md"
SKILL, NULL, TARGET = "planted_skill", "planted_null", "planted_target"


def _fixture(rows, name: str):
    def generate(split: str, lang: str, n: int) -> list[dict]:
        return rows(f"{name}-{split}", n, lang)
    return generate


PLANTED_SKILL = Task(
    name=SKILL, format=CLASSIFICATION, languages=("en",), hub=None,
    fixture=_fixture(planted.skill_rows, SKILL), metric=Accuracy(), fields=("sentence",),
    labels=("absent", "present"), source=SOURCE + "; teaches the target's rule", obtain=OBTAIN)

PLANTED_NULL = Task(
    name=NULL, format=CLASSIFICATION, languages=("en",), hub=None,
    fixture=_fixture(planted.null_rows, NULL), metric=Accuracy(), fields=("sentence",),
    labels=("heads", "tails"), source=SOURCE + "; coin-flip labels on the same words", obtain=OBTAIN)

PLANTED_TARGET = Task(
    name=TARGET, format=CLASSIFICATION, languages=("en", "de", "ru"), hub=None,
    fixture=_fixture(planted.target_rows, TARGET), metric=Accuracy(), fields=("sentence1", "sentence2"),
    labels=("no", "yes"), parallel=True,  # every language renders the same items (a translated set)
    source=SOURCE + "; the rule under another surface, evaluated zero-shot in de and ru", obtain=OBTAIN)

INTERMEDIATE = (SKILL, NULL)
TASKS = (PLANTED_SKILL, PLANTED_NULL, PLANTED_TARGET)
