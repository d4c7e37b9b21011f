"""Planted phase-(ii) noise: the chain design against the one-intermediate-run design (docs/planted.md).

    OMP_NUM_THREADS=1 python benchmarks/chain_calibration.py [--datasets 1000] [--effect 2.0]

Simulates `repro.stats.chains.World` (5 languages x 2,000 examples, 3 replicates a side, phase (ii)
N(0, 0.1²) and phase (iii) N(0, 0.05²) on the logit scale) and judges every data set with
`repro.stats.paired_difference`: the 95% interval's coverage of the planted procedure effect, and the
rate of "improves" verdicts when the planted effect is `--effect` and when it is 0 (false positives).
Prints a markdown table.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from repro.stats.chains import DESIGNS, calibrate  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", type=int, default=1000)
    p.add_argument("--effect", type=float, default=2.0)
    args = p.parse_args()
    started = time.time()
    print("| design | planted effect | data sets | 95% coverage | \"improves\" rate | mean df |\n|---|---|---|---|---|---|")
    for design in DESIGNS:
        for effect in (args.effect, 0.0):
            r = calibrate(args.datasets, design=design, effect=effect, rng=1000 + int(10 * effect))
            print(f"| {design} | {effect:+.1f} | {r['datasets']} | {r['coverage']:.3f} | {r['improves_rate']:.3f} "
                  f"| {r['mean_df']:.1f} |", flush=True)
    print(f"\n{time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
