"""`repro.distributed.state()`: accelerate's process state, built as the Trainer builds its own."""
import os
import socket
import subprocess
import sys
from pathlib import Path

import torch.distributed as dist

from repro import distributed

ROOT = Path(__file__).resolve().parents[1]
LAUNCHER_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


def test_importing_the_store_and_the_run_command_builds_no_process_state():
    # importing may load accelerate (transformers' Trainer does) but must build no state and join no group
    code = ("import repro.distributed, repro.store, repro.cli.run, torch.distributed as d; "
            "from accelerate.state import PartialState; "
            "print(PartialState._shared_state != {}, d.is_initialized())")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "False False"


def test_one_process_is_the_writer_and_starts_no_process_group():
    from accelerate.utils import broadcast_object_list

    launched = [name for name in LAUNCHER_VARIABLES if name in os.environ]
    assert not launched, f"run pytest without a launcher: {launched} are set"
    state = distributed.state()
    assert (state.num_processes, state.process_index, state.is_main_process) == (1, 0, True)
    assert broadcast_object_list(["mine"]) == ["mine"]
    state.wait_for_everyone()  # returns at once
    assert not dist.is_initialized()


def _rank_of_two_nodes(rank, port, output_dir):
    """One process on each of two machines, as torchrun sets them: local rank 0 on both."""
    from accelerate.utils import broadcast_object_list
    from transformers import TrainingArguments

    os.environ.update(RANK=str(rank), WORLD_SIZE="2", LOCAL_RANK="0", LOCAL_WORLD_SIZE="1",
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), CUDA_VISIBLE_DEVICES="")
    state = distributed.state()  # joins the group: nothing else has
    assert dist.is_initialized() and dist.get_world_size() == 2 and dist.get_backend() == "gloo"
    group = dist.distributed_c10d._get_default_group()
    assert (state.num_processes, state.process_index) == (2, rank)
    assert state.is_local_main_process  # both are the first on their machine ...
    assert state.is_main_process == (rank == 0)  # ... and rank 0 alone writes to the shared store
    assert broadcast_object_list([f"decided by {rank}"]) == ["decided by 0"]
    # the Trainer rebuilds the state (as Engine.training_args builds it) on the same process group
    args = TrainingArguments(output_dir=output_dir, use_cpu=True, report_to="none")
    assert (args.world_size, args.process_index, args.parallel_mode.value) == (2, rank, "distributed")
    assert dist.distributed_c10d._get_default_group() is group
    assert distributed.state().num_processes == 2 and distributed.state().is_main_process == (rank == 0)
    distributed.state().wait_for_everyone()
    dist.destroy_process_group()


def test_ranks_on_two_machines_agree_that_global_rank_0_writes(tmp_path):
    import torch.multiprocessing as mp

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mp.spawn(_rank_of_two_nodes, args=(port, str(tmp_path)), nprocs=2, join=True)
