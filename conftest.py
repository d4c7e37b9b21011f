"""Project-wide pytest setup: one torch thread per xdist worker, and the claim plugin for uninstalled checkouts."""
import os

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Two workers with two threads each on two cores run ten times slower.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch
    torch.set_num_threads(1)

# The plugin is installed as the `pytest11` entry point "repro.pytest_plugin" (pyproject.toml), so its
# options are known before pytest picks the rootdir.  Under that name pytest skips this line when the
# entry point already loaded it; it loads the plugin only for a checkout used without installing it.
pytest_plugins = ["repro.pytest_plugin"]
