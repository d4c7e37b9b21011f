"""`repro fetch`: fill the Hugging Face cache with what the selected claims' runs read from the hub.

Compute nodes without network run with `HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1` and read the
base model and every hub dataset from the cache (`HF_HOME`).  This command, run first on a
machine that reaches the hub, makes the same `datasets.load_dataset` calls the runs will make
(`repro.data_requests`: every split, config and revision of the plan; local copies in
`--data-dir`, and the splits it holds in XTREME's download layout, are skipped, as the runs read those) and loads the base model's configuration,
tokenizer and weights once.
"""
from __future__ import annotations

import sys
from pathlib import Path

from repro.claims import select_claims
from repro.cli.options import add_options, claims_dir, seeds_count
from repro.data import data_source
from repro.data_requests import HubRequest, hub_requests, reads_of
from repro.plan import planned_runs
from repro.profiles import get_profile
from repro.tasks import get_task


def add_fetch_parser(subparsers) -> None:
    """`repro fetch`: download the base model and the hub data the selected claims' runs read."""
    p = subparsers.add_parser("fetch", help="download the base model and hub data the claims' runs read into the "
                                            "Hugging Face cache, for offline compute nodes")
    add_options(p, "profile", "claims", "seeds", "data_dir")
    p.add_argument("-k", dest="select", default="", help="only claims whose id contains this text")
    p.add_argument("--dry-run", action="store_true", help="list what would be downloaded, download nothing")
    p.set_defaults(func=fetch)


def reads(runs) -> set:
    """Every (task, split, language) the runs read, each once (`repro.data_requests`)."""
    return {read for run in runs for read in reads_of(run.spec)}


def downloads(reads, data) -> list[HubRequest]:
    """The hub requests of `reads`, each once, in order; none for a task with a local copy, nor for a
    split `--data-dir` holds in XTREME's download layout (the runs read those files instead)."""
    return sorted({r for read in reads if not _in_layout(read, data)
                   for r in hub_requests(read, data.has_local_copy)})


def _in_layout(read, data) -> bool:
    return bool(data.layout_files(get_task(read.task), read.split, read.lang))


def not_on_the_hub(reads, data) -> dict[str, str]:
    """{task: how to obtain it} for the data of `reads` that the hub does not hold and `--data-dir`
    does not have yet (BUCC's corpora, CCGbank, most translations)."""
    found = {}
    for name in sorted({read.task for read in reads}):
        task = get_task(name)
        for leaf in task.parts or (task,):
            if (leaf.hub is None or leaf.reader is not None) and not data.has_local_copy(leaf):
                found[leaf.name] = leaf.obtain
    return found


def fetch(args) -> int:
    """Download (or, with --dry-run, list) the base model and every hub dataset split of the plan."""
    profile = get_profile(args.profile)
    if seeds_count(args.seeds):
        profile = profile.with_seeds(args.seeds)
    data = data_source(profile, args.data_dir)
    if data.kind != "hub":
        print(f"repro fetch: profile {profile.name} reads no hub data (its source: {data.kind}); nothing to fetch",
              file=sys.stderr)
        return 0
    directory = claims_dir(args.claims)
    claims = select_claims(directory, args.select)
    if not claims:
        print(f"repro fetch: no claim in {directory} has an id containing {args.select!r}", file=sys.stderr)
        return 2
    needed = reads(planned_runs(claims, profile, data, seeds_chosen=bool(args.seeds)))
    requests = downloads(needed, data)
    model = profile.model if isinstance(profile.model, str) and not Path(profile.model).is_dir() else None
    verb = "would fetch" if args.dry_run else "fetching"
    if model is not None:
        print(f"{verb} model   {model}", flush=True)
        if not args.dry_run:
            _fetch_model(model)
    for n, r in enumerate(requests, 1):
        where = " ".join([r.path, r.config or "-", r.split] + ([f"@{r.revision}"] if r.revision else []))
        print(f"{verb} dataset {where} ({n}/{len(requests)})", flush=True)
        if not args.dry_run:
            from datasets import load_dataset
            load_dataset(r.path, r.config, split=r.split, revision=r.revision)
    print(f"{len(requests)} dataset split(s){' and the model' if model else ''} "
          f"{'to fetch' if args.dry_run else 'in the cache'}")
    for name, obtain in not_on_the_hub(needed, data).items():
        print(f"not on the hub, put it in --data-dir yourself: {name}: {obtain}".rstrip(" :"))
    return 0


def _fetch_model(name: str) -> None:
    """The configuration, tokenizer and weights of a hub checkpoint, into the cache (as the runs load them)."""
    from transformers import AutoModel, AutoTokenizer
    AutoTokenizer.from_pretrained(name)
    AutoModel.from_pretrained(name)  # the weights every head's from_pretrained reads
