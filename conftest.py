"""Project-wide pytest setup: the claim plugin, and one torch thread per xdist worker."""
import os

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Two workers with two threads each on two cores run ten times slower.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch
    torch.set_num_threads(1)

pytest_plugins = ["repro.pytest_plugin"]
