"""The intermediate tasks' fixtures: each hides a rule that an oracle reading the words solves,
so a model has something to learn, and each is parallel across languages."""
import pytest

from repro.data import DataSource
from repro.fixtures import intermediate, lexicon
from repro.fixtures.generators import pos_of
from repro.tasks import get_task

SOURCE = DataSource("fixture", fixture_sizes={"train": 200, "validation": 200})


def concepts(text: str, lang: str = "en") -> list[int]:
    index = {w: c for c, w in enumerate(lexicon.words(lang))}
    return [index[w] for w in text.split()]


def rows(name, lang="en"):
    return list(SOURCE.load(get_task(name), "train", lang))


def test_qqp_duplicates_are_reorderings():
    data = rows("qqp")
    assert all((sorted(concepts(r["question1"])) == sorted(concepts(r["question2"]))) == bool(r["label"])
               for r in data)
    assert 0.2 < sum(r["label"] for r in data) / len(data) < 0.55  # about 37% duplicates, as QQP


def test_sst2_label_is_the_polarity_of_its_polar_words():
    for r in rows("sst2"):
        polar = {c for c in concepts(r["sentence"]) if c in intermediate.POSITIVE or c in intermediate.NEGATIVE}
        assert polar and all((c in intermediate.POSITIVE) == bool(r["label"]) for c in polar)


def test_hellaswag_right_ending_is_the_only_one_reusing_the_context():
    for r in rows("hellaswag"):
        context = set(concepts(r["ctx"]))
        reusing = [k for k, e in enumerate(r["endings"]) if context & set(concepts(e))]
        assert reusing == [int(r["label"])]


def test_cosmosqa_answer_is_the_words_after_the_key():
    for r in rows("cosmosqa"):
        context, key = concepts(r["context"]), concepts(r["question"])[1]
        at = context.index(key)
        assert concepts(r[f"answer{r['label']}"]) == context[at + 1:at + 3]


def test_commonsenseqa_answer_is_the_fact_of_the_question_concept():
    for r in rows("commonsenseqa"):
        concept = concepts(r["question_concept"])[0]
        gold = r["choices"]["text"][r["choices"]["label"].index(r["answerKey"])]
        assert concepts(gold) == [intermediate.fact(concept)]
        assert sum(concepts(t) == [intermediate.fact(concept)] for t in r["choices"]["text"]) == 1


def test_ccg_category_is_a_function_of_the_word_and_its_right_neighbours_kind():
    seen = {}
    for r in rows("ccg"):
        words = concepts(" ".join(r["tokens"]))
        for k, tag in enumerate(r["tags"]):
            right = None if k + 1 == len(words) else pos_of(words[k + 1]) in intermediate.NOMINAL
            context = (pos_of(words[k]), right)
            assert seen.setdefault(context, tag) == tag
    assert len(set(seen.values())) > 5
    # the neighbour matters: some part of speech takes different categories before different words
    assert any(len({tag for (p, _), tag in seen.items() if p == pos}) > 1 for pos, _ in seen)


@pytest.mark.parametrize("name", ["anli_plus", "qqp", "sst2", "hellaswag", "cosmosqa", "commonsenseqa", "ccg"])
def test_fixtures_are_parallel_translations(name):
    en, de = rows(name, "en"), rows(name, "de")
    gold = {"ccg": "tags", "commonsenseqa": "answerKey"}.get(name, "label")
    assert [r[gold] for r in en] == [r[gold] for r in de] and en != de
