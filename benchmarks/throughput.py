"""Training throughput of the engine against fixed padding (a benchmark, not a test).

    python benchmarks/throughput.py --quick            # tiny model, fixture data, 2 CPU cores, minutes
    python benchmarks/throughput.py [--model ID] [--data-dir DIR]   # XLM-R Large, on a GPU if there is one

For each task format (classification, tagging, QA, multiple choice) one training task is
featurised by its format handler with the paper profile's max length and batch size, then
trained step by step by two arms on the same model, data and hardware:

- `engine`: what the engine's Trainer does: random batches (seeded sampler), the format's
  collator padding each batch to its longest sequence, the profile's precision (bf16 on a
  GPU) and SDPA attention;
- `baseline`: XTREME's reference scripts: every sequence padded to the max length (128; 384
  for QA; the profile's 256 for HellaSwag), otherwise identical;
- `grouped` (with `--group-by-length`): the engine with `transformers`' length-grouped sampler.

Both arms draw the same examples in the same order and run interleaved, step by step, the
arm order alternating, so load from other processes on the machine falls on both alike.
Each step (collation, forward, backward, optimizer) is timed; the first `--warmup` steps of
each arm are not counted.  Per format and arm: examples/s, non-pad tokens/s and total
(padded) tokens/s.  The last line is one JSON object: `speedup` is the geometric mean over
formats of engine non-pad tokens/s / baseline non-pad tokens/s (same tokens, so the ratio
of step times).  Fixture sentences are shorter than the real data's, so `--quick` overstates
what padding costs on real data; `--data-dir` measures real data: a folder in XTREME's download
layout gives each format the real training-like rows it holds (`REAL_ROWS`; a format without
any is skipped), `--tokenizer` the tokenizer (the tiny model then embeds its vocabulary).
"""
from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing is downloaded: a hub model must be cached

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402

# format -> (training task, phase of the paper profile whose configuration it takes)
FORMATS = {
    "classification": ("mnli", "intermediate"),
    "tagging": ("udpos", "target"),
    "qa": ("squad", "intermediate"),
    "multiple_choice": ("hellaswag", "intermediate"),
}
# format -> (task, split) read from an XTREME-layout --data-dir: English rows of the format's kind
# (XNLI's dev pairs stand for MNLI's, TyDiQA-GoldP's English training questions for SQuAD's)
REAL_ROWS = {"classification": ("xnli", "validation"), "tagging": ("udpos", "train"), "qa": ("tydiqa", "train")}
# dense bf16 peak TFLOP/s of GPUs, for model FLOPs utilisation (vendors' data sheets)
PEAK_BF16_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "A10": 125.0}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny model on fixture data: minutes on 2 CPU cores")
    p.add_argument("--model", default=None, help="hub id or path (default: XLM-R Large; --quick: the tiny model)")
    p.add_argument("--data-dir", default=None, help="local data <task>/en/train.jsonl (default: fixture data)")
    p.add_argument("--tokenizer", default=None, help="tokenizer folder for --quick's tiny model (default: fixture)")
    p.add_argument("--formats", default=",".join(FORMATS), help="comma-separated subset of " + ", ".join(FORMATS))
    p.add_argument("--steps", type=int, default=None, help="timed steps per arm and format (default 24; GPU 40)")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps per arm and format")
    p.add_argument("--examples", type=int, default=1024, help="training rows read per task")
    p.add_argument("--group-by-length", action="store_true", help="also time the length-grouped sampler")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    unknown = set(args.formats.split(",")) - set(FORMATS)
    if unknown:
        p.error(f"unknown format(s) {', '.join(sorted(unknown))}; choose from {', '.join(FORMATS)}")
    return args


def load_model_dir(args, tmp: Path) -> str:
    """The checkpoint to train: the tiny model (built here, long enough for QA's 384) or a hub model."""
    if args.model:
        return args.model
    if args.quick:
        from repro.models import build_tiny_model
        from repro.profiles import TinyModel
        path = tmp / "tiny"
        if args.tokenizer:
            from repro.models import tokenizer_fingerprint
            spec = TinyModel(max_positions=514, tokenizer=tokenizer_fingerprint(args.tokenizer))
            build_tiny_model(spec, path, args.tokenizer)
        else:
            build_tiny_model(TinyModel(max_positions=514), path)
        return str(path)
    return "FacebookAI/xlm-roberta-large"


def task_features(fmt_name: str, args, tokenizer):
    """(task, config, train features) of a format's benchmark task under the paper profile."""
    from repro.data import DataSource
    from repro.profiles import PAPER
    from repro.tasks import get_task

    name, phase = FORMATS[fmt_name]
    task = get_task(name)
    config = PAPER.train_config(phase, name)
    data = (DataSource("local", Path(args.data_dir)) if args.data_dir
            else DataSource("fixture", fixture_sizes={"train": args.examples, "validation": 8, "test": 8}))
    split = "train"
    from repro import xtreme_layout
    if args.data_dir and xtreme_layout.detect(Path(args.data_dir)):
        task, split = get_task(REAL_ROWS[fmt_name][0]), REAL_ROWS[fmt_name][1]
    raw = data.load(task, split, "en")
    raw = raw.select(range(min(len(raw), args.examples)))
    task = task.with_labels_from(raw)
    return task, config, task.format.train_features(raw, task, tokenizer, config)


def data_files(task, args) -> tuple:
    """The files of an XTREME-layout --data-dir the format's rows came from (() otherwise)."""
    from repro.data import DataSource
    if not args.data_dir:
        return ()
    for split in ("train", "validation"):
        files = DataSource("local", Path(args.data_dir)).files_read(task, split, "en")
        if files:
            return files
    return ()


def fixed_collator(fmt, tokenizer, max_length: int):
    """The format's collator, padding every sequence to `max_length` (XTREME's scripts)."""
    collator = fmt.collator(tokenizer)
    return type(collator)(tokenizer, padding="max_length", max_length=max_length)


def batches(features, batch_size: int, collator, seed: int, *, grouped: bool = False):
    """The training batches as the Trainer's DataLoader yields them (same seed: same examples)."""
    import torch
    from torch.utils.data import DataLoader, RandomSampler
    from transformers.trainer_pt_utils import LengthGroupedSampler

    generator = torch.Generator().manual_seed(seed)
    if grouped:
        from repro.batching import feature_lengths
        sampler = LengthGroupedSampler(batch_size, lengths=feature_lengths(features).tolist(), generator=generator)
    else:
        sampler = RandomSampler(features, generator=generator)
    loader = DataLoader(features.with_format(None), batch_size=batch_size, sampler=sampler,
                        collate_fn=collator, drop_last=True)
    while True:
        yield from loader


class Arm:
    """One way of training: its own copy of the model and optimizer, its batches, its clock."""

    def __init__(self, name, model, batch_iter, device, bf16: bool):
        import torch
        self.name, self.model, self.batches, self.device, self.bf16 = name, model, batch_iter, device, bf16
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
        self.seconds = 0.0
        self.examples = self.tokens = self.real_tokens = 0

    def step(self, timed: bool) -> None:
        import torch
        if self.device == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        batch = {k: v.to(self.device) for k, v in next(self.batches).items()}
        with torch.autocast(self.device, dtype=torch.bfloat16, enabled=self.bf16):
            loss = self.model(**batch).loss
        loss.backward()
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        if self.device == "cuda":
            torch.cuda.synchronize()
        if timed:
            self.seconds += time.perf_counter() - t0
            self.examples += batch["input_ids"].shape[0]
            self.tokens += batch["input_ids"].numel()
            self.real_tokens += int(batch["attention_mask"].sum())

    def figures(self, params: float, peak_tflops: float | None) -> dict:
        out = {"examples_per_s": self.examples / self.seconds, "nonpad_tokens_per_s": self.real_tokens / self.seconds,
               "total_tokens_per_s": self.tokens / self.seconds, "pad_fraction": 1 - self.real_tokens / self.tokens,
               "seconds": self.seconds, "examples": self.examples, "tokens": self.tokens,
               "nonpad_tokens": self.real_tokens}
        if peak_tflops:  # model FLOPs utilisation: 6N per useful (non-pad) token
            out["mfu"] = 6 * params * out["nonpad_tokens_per_s"] / (peak_tflops * 1e12)
        return out


def bench_format(fmt_name: str, args, model_dir: str, device: str, bf16: bool, peak) -> dict:
    import copy

    import torch
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    task, config, features = task_features(fmt_name, args, tokenizer)
    fmt = task.format
    torch.manual_seed(args.seed)
    attention = {"attn_implementation": "sdpa"}
    model = fmt.model_class.from_pretrained(model_dir, **fmt.model_kwargs(task), **attention).to(device)
    model.train()
    params = sum(p.numel() for p in model.parameters())
    arms = [Arm("engine", copy.deepcopy(model), batches(features, config.batch_size, fmt.collator(tokenizer),
                                                         args.seed), device, bf16),
            Arm("baseline", copy.deepcopy(model), batches(features, config.batch_size,
                                                           fixed_collator(fmt, tokenizer, config.max_length),
                                                           args.seed), device, bf16)]
    if args.group_by_length:
        arms.append(Arm("grouped", copy.deepcopy(model), batches(features, config.batch_size,
                                                                  fmt.collator(tokenizer), args.seed, grouped=True),
                        device, bf16))
    del model
    steps = args.steps or (40 if device == "cuda" else 24)
    for i in range(args.warmup + steps):
        turn = arms[i % len(arms):] + arms[:i % len(arms)]  # rotate who goes first
        for arm in turn:
            arm.step(timed=i >= args.warmup)
    result = {"task": task.name, "data": [str(p) for p in data_files(task, args)] or "fixture",
              "max_length": config.max_length, "batch_size": config.batch_size,
              "steps": steps, **{arm.name: arm.figures(params, peak) for arm in arms}}
    result["speedup"] = result["engine"]["nonpad_tokens_per_s"] / result["baseline"]["nonpad_tokens_per_s"]
    if args.group_by_length:
        result["grouped_speedup"] = result["grouped"]["nonpad_tokens_per_s"] / result["baseline"]["nonpad_tokens_per_s"]
    return result


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch
    import transformers
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    import datasets
    datasets.disable_progress_bars()

    device = "cuda" if torch.cuda.is_available() else "cpu"
    bf16 = device == "cuda"  # the paper profile's precision; the CPU trains in fp32 as the engine does
    gpu = torch.cuda.get_device_name() if device == "cuda" else None
    peak = next((v for k, v in PEAK_BF16_TFLOPS.items() if gpu and k in gpu), None)
    print(f"device {gpu or platform.processor() or 'cpu'}, torch threads {torch.get_num_threads()}, "
          f"{'bf16' if bf16 else 'fp32'}, SDPA attention", flush=True)
    if not args.quick and device == "cpu":
        print("no GPU: XLM-R Large on the CPU takes a minute or more per step (--quick times the tiny model)", flush=True)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = load_model_dir(args, Path(tmp))
        for fmt_name in args.formats.split(","):
            if args.data_dir and fmt_name not in REAL_ROWS and _is_layout(args.data_dir):
                print(f"{fmt_name:<16} skipped: {args.data_dir} holds no real rows of this format", flush=True)
                continue
            try:
                r = bench_format(fmt_name, args, model_dir, device, bf16, peak)
            except OSError as err:  # a hub model that is not cached (nothing is downloaded)
                print(f"benchmarks/throughput.py: cannot load {model_dir} ({str(err).splitlines()[0]}); pass --model "
                      "with a local copy, or --quick for the tiny model", file=sys.stderr)
                return 2
            results[fmt_name] = r
            for arm in ("engine", "baseline", "grouped"):
                if arm in r:
                    f = r[arm]
                    print(f"{fmt_name:<16} {arm:<9} {f['examples_per_s']:9.1f} ex/s {f['nonpad_tokens_per_s']:10.0f} "
                          f"non-pad tok/s {f['total_tokens_per_s']:10.0f} total tok/s  pad {f['pad_fraction']:5.1%}"
                          + (f"  MFU {f['mfu']:.1%}" if "mfu" in f else ""), flush=True)
            print(f"{fmt_name:<16} speedup {r['speedup']:.2f}x ({r['task']}, max length {r['max_length']}, "
                  f"batch {r['batch_size']})", flush=True)
    speedups = [r["speedup"] for r in results.values()]
    summary = {"speedup": math.exp(sum(map(math.log, speedups)) / len(speedups)),
               "speedup_by_format": {k: round(r["speedup"], 3) for k, r in results.items()},
               "device": gpu or "cpu", "precision": "bf16" if bf16 else "fp32", "quick": args.quick,
               "model": args.model or ("tiny" if args.quick else "FacebookAI/xlm-roberta-large"),
               "data": args.data_dir or "fixture",
               "tokenizer": args.tokenizer or ("fixture" if args.quick else "model's"),
               "formats": results}
    if args.group_by_length:
        grouped = [r["grouped_speedup"] for r in results.values()]
        summary["grouped_speedup"] = math.exp(sum(map(math.log, grouped)) / len(grouped))
    print(json.dumps(summary, sort_keys=True))
    return 0


def _is_layout(data_dir) -> bool:
    from repro import xtreme_layout
    return bool(xtreme_layout.detect(Path(data_dir)))


if __name__ == "__main__":
    sys.exit(main())
