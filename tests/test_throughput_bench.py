"""benchmarks/throughput.py runs end to end and ends with its JSON line (figures: docs/throughput.md)."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quick_benchmark_ends_with_the_speedup_line():
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "benchmarks/throughput.py", "--quick", "--formats", "classification,qa",
                           "--steps", "2", "--warmup", "1", "--examples", "64", "--group-by-length"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(result["speedup_by_format"]) == {"classification", "qa"} and result["speedup"] > 0
    for name in ("classification", "qa"):
        engine, baseline = result["formats"][name]["engine"], result["formats"][name]["baseline"]
        # both arms train on the same examples: the same non-pad tokens, the baseline padded to the max length
        assert engine["examples"] == baseline["examples"] == 2 * result["formats"][name]["batch_size"]
        assert engine["nonpad_tokens"] == baseline["nonpad_tokens"] < engine["tokens"] < baseline["tokens"]
        assert baseline["tokens"] == baseline["examples"] * result["formats"][name]["max_length"]
