"""Sentence retrieval (BUCC 2018, Tatoeba): no training, an encoder's mean-pooled layer.

A sentence's embedding is the masked mean over all non-pad tokens (`<s>` and
`</s>` included) of `hidden_states[layer]` (jiant `MeanPoolerHead`; layer 14 of
XLM-R Large per jiant's `xtreme_runconfig_writer.py`, xtreme-protocol.md 1.5),
compared by cosine similarity.  Tatoeba retrieves, for every English sentence,
the nearest non-English one (`similarity_search(x=non-en, y=en)`).  BUCC mines
pairs with the ratio margin over k=4 neighbourhoods in both directions, pools
both directions' best candidates and keeps them greedily one-to-one
(`mine_bitext(..., retrieval='max', margin='ratio', neighborhood=4)`); the
per-language threshold is the cut with the best F1 on dev ("sample") and is
applied to test ("training" gold, XTREME's test set: google-research/xtreme#13); dev itself is
measured at its own best cut, as jiant's validation metric (the paper's dev cells).
"""
from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

import numpy as np

from repro.fixtures import generators
from repro.metrics import Accuracy, BuccF1
from repro.tasks.base import EVAL_SOURCE, HubSource, Sizes, Task, XtremeFiles
from repro.tasks.formats import RetrievalFormat

NEIGHBOURHOOD = 4  # mine_bitext neighborhood
BLOCK = 1024       # rows per similarity block: 1024 x 4e5 cosines (BUCC de test) is 1.6 GB


def normalise(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, so dot products are cosines."""
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def nearest(queries: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Index of the most cosine-similar key for every query."""
    q, k = normalise(queries), normalise(keys)
    return np.concatenate([(q[i:i + BLOCK] @ k.T).argmax(1) for i in range(0, len(q), BLOCK)])


def _knn(q: np.ndarray, k: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Cosines and indices of each row of `q`'s `n` nearest rows of `k` (unit vectors)."""
    n = min(n, len(k))
    sims, idx = [], []
    for i in range(0, len(q), BLOCK):
        block = q[i:i + BLOCK] @ k.T
        top = np.argpartition(-block, n - 1, axis=1)[:, :n]
        sims.append(np.take_along_axis(block, top, 1))
        idx.append(top)
    return np.concatenate(sims), np.concatenate(idx)


def mine(src: np.ndarray, trg: np.ndarray, k: int = NEIGHBOURHOOD) -> list[tuple[int, int, float]]:
    """Candidate pairs (src index, trg index, ratio-margin score), greedy one-to-one, best first."""
    x, y = normalise(src), normalise(trg)
    x2y_sim, x2y_idx = _knn(x, y, k)
    y2x_sim, y2x_idx = _knn(y, x, k)
    x_mean, y_mean = x2y_sim.mean(1), y2x_sim.mean(1)
    # ratio margin: cos(x, y) / ((mean kNN cos of x + mean kNN cos of y) / 2)   (Artetxe & Schwenk 2019)
    fwd = x2y_sim / ((x_mean[:, None] + y_mean[x2y_idx]) / 2)
    bwd = y2x_sim / ((y_mean[:, None] + x_mean[y2x_idx]) / 2)
    candidates = [(i, int(x2y_idx[i, j]), float(fwd[i, j])) for i, j in enumerate(fwd.argmax(1))]
    candidates += [(int(y2x_idx[t, j]), t, float(bwd[t, j])) for t, j in enumerate(bwd.argmax(1))]
    candidates.sort(key=lambda c: -c[2])
    used_src, used_trg, pairs = set(), set(), []
    for s, t, score in candidates:  # 'max' retrieval: both directions pooled, kept one-to-one
        if s not in used_src and t not in used_trg:
            used_src.add(s)
            used_trg.add(t)
            pairs.append((s, t, score))
    return pairs


def best_threshold(scored: list[tuple[tuple[str, str], float]], gold: set[tuple[str, str]]) -> tuple[float, float]:
    """The score threshold with the best F1 against `gold` (XTREME `bucc_optimize`), and that F1.

    Candidates are sorted by score; the cut after the best prefix is the midpoint to the next
    score (the last score itself when every candidate is kept).
    """
    ranked = sorted(scored, key=lambda c: -c[1])
    best_f1, best_i, tp = 0.0, -1, 0
    for i, (pair, _) in enumerate(ranked):
        tp += pair in gold
        f1 = 2 * tp / (i + 1 + len(gold)) if tp else 0.0  # = 2PR / (P + R)
        if f1 > best_f1:
            best_f1, best_i = f1, i
    if best_i < 0:
        return float("inf"), 0.0
    if best_i + 1 < len(ranked):
        return (ranked[best_i][1] + ranked[best_i + 1][1]) / 2, 100 * best_f1
    return ranked[best_i][1], 100 * best_f1


class Retrieval(RetrievalFormat):
    """The format handler for retrieval tasks: no head, no training; `evaluate` per language."""

    def __init__(self, evaluate, *, reads_dev: bool = False):
        self._evaluate = evaluate
        self.reads_dev = reads_dev  # chooses a threshold on dev whatever split it measures (BUCC)

    def evaluation_reads(self, task: Task, split: str, lang: str) -> set[tuple[str, str, str]]:
        """The measured split, and dev where a threshold is chosen on it."""
        return {(task.name, split, lang)} | ({(task.name, "validation", lang)} if self.reads_dev else set())

    def sequence_lengths(self, raw, task: Task, tokenizer) -> list:
        """One length per sentence embedded: BUCC's one sentence per row, Tatoeba's both sides of a pair."""
        texts = ([r["sentence"] for r in raw] if "sentence" in task.fields
                 else [s for field in task.fields for s in raw[field]])
        return [len(ids) for ids in tokenizer(texts)["input_ids"]]

    def evaluate(self, embed, data, task: Task, split: str, lang: str) -> tuple[list[dict], dict]:
        """Records {id, unit, prediction, reference} and extra values; `embed(texts)` -> array."""
        return self._evaluate(embed, data, task, split, lang)


# --- Tatoeba --------------------------------------------------------------------------------
def tatoeba_evaluate(embed, data, task: Task, split: str, lang: str) -> tuple[list[dict], dict]:
    """For every English sentence the nearest non-English row; gold = its own row (aligned pairs)."""
    raw = data.load(task, split, lang)
    found = nearest(embed(list(raw["target_sentence"])), embed(list(raw["source_sentence"])))
    records = [{"id": str(i), "unit": str(i), "prediction": str(int(j)), "reference": str(i)}
               for i, j in enumerate(found)]
    return records, {}


# Language code -> ISO 639-3 of google/xtreme's tatoeba.{iso3} configs (HF card)
TATOEBA_ISO3 = MappingProxyType(dict(
    af="afr", ar="ara", bg="bul", bn="ben", de="deu", el="ell", es="spa", et="est", eu="eus", fa="pes",
    fi="fin", fr="fra", he="heb", hi="hin", hu="hun", id="ind", it="ita", ja="jpn", jv="jav", ka="kat",
    kk="kaz", ko="kor", ml="mal", mr="mar", nl="nld", pt="por", ru="rus", sw="swh", ta="tam", te="tel",
    th="tha", tl="tgl", tr="tur", ur="urd", vi="vie", zh="cmn"))


# --- BUCC 2018 ------------------------------------------------------------------------------
BUCC_SPLITS = MappingProxyType({"validation": "sample", "test": "training"})
BUCC_LAYOUT = "<data_dir>/bucc2018/{lang}-en/{lang}-en.{sample|training}.{{lang},en,gold}"


def bucc_files(split: str, lang: str) -> tuple[str, ...]:
    """The files inside the data directory that `read_bucc(root, split, lang)` reads."""
    name = BUCC_SPLITS[split]
    return tuple(f"bucc2018/{lang}-en/{lang}-en.{name}.{side}" for side in (lang, "en", "gold"))


def read_bucc(root, split: str, lang: str) -> list[dict]:
    """Rows {id, lang, sentence, gold} from the extracted BUCC 2018 archives under `root`.

    Layout (what `tar -xjf bucc2018-{lang}-en.{sample,training}-gold.tar.bz2` gives inside
    `<data_dir>`): `bucc2018/{lang}-en/{lang}-en.{sample|training}.{lang|en}` hold
    `id<TAB>sentence` lines, `....gold` holds `{lang}-id<TAB>en-id` lines.
    """
    name = BUCC_SPLITS[split]
    folder = Path(root or ".") / "bucc2018" / f"{lang}-en"
    files = {side: folder / f"{lang}-en.{name}.{side}" for side in (lang, "en", "gold")}
    missing = [str(p) for p in files.values() if not p.is_file()]
    if root is None or missing:
        raise FileNotFoundError(
            f"BUCC 2018 {lang}-en {split} needs the original corpora (the hub's bucc18 config has only the "
            f"gold pairs, no distractors): download bucc2018-{lang}-en.{name}-gold.tar.bz2 from "
            f"https://comparable.limsi.fr/bucc2018/bucc2018-task.html, extract it inside the data directory "
            f"given by --data-dir / REPRO_DATA_DIR, giving {BUCC_LAYOUT}; missing: "
            f"{', '.join(missing) if root is not None else 'no data directory was given'}")
    gold: dict[str, list[str]] = {}  # every gold pair is kept (XTREME reads a set of id pairs)
    for sid, eid in _tab_fields(files["gold"], 2, "{lang}-id<TAB>en-id"):
        gold.setdefault(sid, []).append(eid)
    rows = []
    for side in (lang, "en"):
        for sid, text in _tab_fields(files[side], 2, "id<TAB>sentence"):
            rows.append({"id": sid, "lang": side, "sentence": text, "gold": " ".join(gold.get(sid, []))})
    return rows


def gold_ids(row) -> list[str]:
    """The English ids of a source row's gold pairs (its `gold` field: ids separated by spaces, "" for none)."""
    return row["gold"].split()


def _tab_fields(path: Path, count: int, form: str) -> list[list[str]]:
    """The non-blank lines of a BUCC file, each split at its first `count - 1` tabs (a byte-order mark
    dropped); ValueError naming the file, the line and the form expected."""
    out = []
    try:
        with path.open(encoding="utf-8-sig") as fh:
            for number, line in enumerate(fh, 1):
                if line.strip():
                    fields = line.rstrip("\r\n").split("\t", count - 1)
                    if len(fields) != count:
                        raise ValueError(f"{path}, line {number}: expected {form}, got {line.strip()[:60]!r}; "
                                         "extract the BUCC 2018 archive unchanged")
                    out.append(fields)
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not UTF-8 text (byte {err.start}: {err.reason}); extract the archive unchanged") \
            from None
    return out


def ids_by_sentence(rows) -> dict[str, list[str]]:
    """Sentence text -> the ids it has, in first-seen order.

    XTREME's `mine_bitext` mines unique sentences and maps a pair of texts back to every
    combination of their ids, so a sentence repeated in the corpus is embedded once.
    """
    out: dict[str, list[str]] = {}
    for r in rows:
        out.setdefault(r["sentence"], []).append(r["id"])
    return out


# where each split's threshold comes from (recorded in metrics.json as `threshold_from`)
THRESHOLD_FROM = MappingProxyType({
    "validation": "validation: the sample set's own gold (the paper's dev figures: jiant's validation metric)",
    "test": "validation: chosen on the sample set, applied to training (XTREME's test protocol)",
})


def bucc_evaluate(embed, data, task: Task, split: str, lang: str) -> tuple[list[dict], dict]:
    """Mine `split` and keep the pairs above the dev threshold; records per source sentence in a pair.

    On test ("training") the threshold is the best-F1 cut on dev ("sample"), as XTREME.  On dev the
    threshold is the best cut on the sample set's own gold, as jiant's validation metric, which gives
    the paper's Table 2 dev cells: an optimistic figure (chosen and measured on the same pairs),
    labelled as such in `threshold_from`.
    """
    if split not in THRESHOLD_FROM:
        raise ValueError(f"BUCC has no {split!r} set; its sets are {', '.join(THRESHOLD_FROM)}")

    def mined(which):
        raw = data.load(task, which, lang)
        src = [r for r in raw if r["lang"] == lang]
        src_ids, trg_ids = ids_by_sentence(src), ids_by_sentence(r for r in raw if r["lang"] == "en")
        src_text, trg_text = list(src_ids), list(trg_ids)
        pairs = mine(embed(src_text), embed(trg_text))
        scored = [((sid, tid), score) for s, t, score in pairs
                  for sid in src_ids[src_text[s]] for tid in trg_ids[trg_text[t]]]
        return scored, {(r["id"], eid) for r in src for eid in gold_ids(r)}
    dev_scored, dev_gold = mined("validation")
    threshold, dev_f1 = best_threshold(dev_scored, dev_gold)
    scored, gold = (dev_scored, dev_gold) if split == "validation" else mined(split)
    # every kept id pair: a sentence repeated in the corpus pairs with each of its ids (XTREME, jiant)
    predicted: dict[str, set[str]] = {}
    for (src, trg), score in scored:
        if score >= threshold:
            predicted.setdefault(src, set()).add(trg)
    gold_of: dict[str, list[str]] = {}
    for src, trg in gold:
        gold_of.setdefault(src, []).append(trg)
    records = [{"id": src, "unit": src, "prediction": sorted(predicted.get(src, ())),
                "reference": sorted(gold_of.get(src, []))} for src in sorted(set(predicted) | set(gold_of))]
    # no correct dev candidate: nothing is kept (threshold recorded as null)
    return records, {"threshold": threshold if np.isfinite(threshold) else None, "dev_f1_at_threshold": dev_f1,
                     "threshold_from": THRESHOLD_FROM[split]}


def bucc_metric_inputs(records: list[dict]) -> tuple[list, list]:
    """Predicted and gold (source id, English id) pairs, as BUCC F1 takes them."""
    return ([(r["id"], t) for r in records for t in r["prediction"]],
            [(r["id"], t) for r in records for t in r["reference"]])


TATOEBA = Task(
    name="tatoeba",
    sizes=Sizes(evaluation=MappingProxyType({"validation": 2_000, "test": 2_000}),
                source=EVAL_SOURCE),
    submission="labels", paper_label="Tatoeba",
    format=Retrieval(tatoeba_evaluate),
    # XTREME_TASK2LANGS["tatoeba"] in google-research/xtreme evaluate.py (36, x-en)
    languages=tuple(TATOEBA_ISO3),
    # google/xtreme tatoeba.{iso3}: validation only; source_sentence (non-en) and target_sentence (en)
    # aligned by row, so the gold of English row i is non-English row i
    hub=HubSource("google/xtreme", "tatoeba.{lang}", lang_names=TATOEBA_ISO3),
    # one set, XTREME's test (google/xtreme card: tatoeba.* has only "validation")
    evaluation_sets=MappingProxyType({"test": "validation"}),
    fixture=lambda split, lang, n: generators.tatoeba_rows(f"tatoeba-{split}", n, lang, TATOEBA_ISO3[lang]),
    metric=Accuracy(),  # XTREME evaluate.py: accuracy of retrieved row indices
    # LASER's tatoeba.{iso3}-eng.{iso3,eng}, which XTREME's download_data.sh copies (the one set)
    xtreme=XtremeFiles("parallel", MappingProxyType({"validation": "tatoeba/tatoeba.{lang}-eng"}),
                       lang_names=TATOEBA_ISO3),
    fields=("source_sentence", "target_sentence"),
    source="Tatoeba (Artetxe & Schwenk 2019) via google/xtreme tatoeba.*; up to 1,000 pairs per language",
)

BUCC = Task(
    name="bucc2018",
    sizes=Sizes(evaluation=MappingProxyType({"validation": 40_000, "test": 560_000}),
                source=EVAL_SOURCE),
    submission="pairs", paper_label="BUCC", sparse_units=True,
    format=Retrieval(bucc_evaluate, reads_dev=True),
    # XTREME_TASK2LANGS["bucc2018"] in google-research/xtreme evaluate.py
    languages=("de", "fr", "ru", "zh"),
    hub=HubSource("google/xtreme", "bucc18.{lang}"),  # gold pairs only: not usable for mining
    fixture=lambda split, lang, n: generators.bucc_rows(f"bucc-{split}", max(n // 2, 8), lang),
    metric=BuccF1(),  # XTREME evaluate.py bucc_f1: set P/R/F1 of pairs
    fields=("id", "lang", "sentence", "gold"),
    reader=read_bucc,
    reader_files=bucc_files,
    # XTREME's bucc2018/{lang}-en.{dev,test}.{{lang},en,gold} (the test gold is not public)
    xtreme=XtremeFiles("bucc", MappingProxyType({"validation": "bucc2018/{lang}-en.dev",
                                                 "test": "bucc2018/{lang}-en.test"})),
    # dev (sample) is measured with its own threshold (jiant, the paper's dev cells); test (training) with
    # dev's (XTREME): two sets, so claim 5 chooses on dev and measures on test with no halving
    metric_inputs=bucc_metric_inputs,
    source="BUCC 2018 shared task (Zweigenbaum et al. 2018); sample -> dev, training -> test (XTREME)",
    obtain=("download bucc2018-{de,fr,ru,zh}-en.sample-gold.tar.bz2 and ...training-gold.tar.bz2 from "
            "https://comparable.limsi.fr/bucc2018/bucc2018-task.html and extract them in "
            "<data-dir>/bucc2018/ (docs/data.md, BUCC 2018 data)"),
)

TASKS = (BUCC, TATOEBA)  # the order of the paper's columns
