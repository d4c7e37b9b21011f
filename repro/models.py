"""Base models: the tiny offline XLM-R of the smoke profile, and hub checkpoints."""
from __future__ import annotations

import hashlib
from pathlib import Path

from repro.errors import MissingFile, ReproError
from repro.fixtures.build_tokenizer import TOKENIZER_PATH
from repro.profiles import TinyModel


def fixture_tokenizer(max_length: int = 128):
    """The committed fixture tokenizer, with XLM-R's special tokens and pipeline."""
    from transformers import XLMRobertaTokenizerFast
    if not TOKENIZER_PATH.is_file():
        raise MissingFile(f"{TOKENIZER_PATH} is missing; rebuild it with "
                                "`python -m repro.fixtures.build_tokenizer`")
    return XLMRobertaTokenizerFast(tokenizer_file=str(TOKENIZER_PATH), model_max_length=max_length)


class TokenizerError(ReproError, ValueError):
    """A `--tokenizer` folder that AutoTokenizer cannot load."""


def load_tokenizer(folder, max_length: int | None = None):
    """The tokenizer `AutoTokenizer` loads offline from `folder` (with `max_length` as its model_max_length,
    else its own and shared by the process's callers); TokenizerError naming the fix."""
    from transformers import AutoTokenizer
    path = Path(folder)
    fix = ("give a folder holding tokenizer.json (or sentencepiece.bpe.model) and tokenizer_config.json, "
           "e.g. ../shared/realdata/xlmr-tokenizer")
    if not path.is_dir():
        raise TokenizerError(f"--tokenizer {folder}: no such folder; {fix}")
    try:
        if max_length is None:
            return checkpoint_tokenizer(path)  # loaded once per process
        return AutoTokenizer.from_pretrained(str(path), local_files_only=True, model_max_length=max_length)
    except Exception as err:  # transformers raises OSError, ValueError, KeyError, ... for a bad folder
        first = (str(err).splitlines() or [type(err).__name__])[0][:200]
        raise TokenizerError(f"--tokenizer {folder}: AutoTokenizer cannot load it ({type(err).__name__}: "
                             f"{first}); {fix}") from None


def tokenizer_fingerprint(folder) -> str:
    """SHA-256 over the names and bytes of the files in a tokenizer folder (sorted): its identity."""
    digest = hashlib.sha256()
    for file in sorted(p for p in Path(folder).iterdir() if p.is_file()):
        digest.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def with_tokenizer(profile, folder):
    """`profile` with its tiny model on the tokenizer in `folder` (checked to load); `profile` when None."""
    if folder is None:
        return profile
    load_tokenizer(folder)
    return profile.with_tokenizer(str(folder), tokenizer_fingerprint(folder))


_LOADED: dict = {}  # content hash of a checkpoint's tokenizer files -> the tokenizer loaded from them


def checkpoint_tokenizer(path):
    """`AutoTokenizer.from_pretrained(path)`, loaded once per process for the same tokenizer files: XLM-R's
    250,002-piece tokenizer takes seconds to load, and every run of a chain saves the same one."""
    from transformers import AutoTokenizer
    folder = Path(path)
    files = [folder / name for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")]
    if not folder.is_dir() or not files[0].is_file():
        return AutoTokenizer.from_pretrained(path)  # a hub id, or no fast-tokenizer file: no cache
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.read_bytes() if file.is_file() else b"-")
    key = digest.hexdigest()
    if key not in _LOADED:
        _LOADED[key] = AutoTokenizer.from_pretrained(path)
    return _LOADED[key]


class ModelUnavailableError(ReproError, ValueError):
    """A hub checkpoint that cannot be read (offline mode, no network, not in the cache)."""


def check_hub_model(name: str) -> str:
    """`name` once its checkpoint can be read: a local directory, or a hub id whose files are reachable
    or cached; ModelUnavailableError naming the fixes otherwise."""
    if Path(name).is_dir():
        return name
    from transformers.utils import cached_file
    try:
        cached_file(name, "config.json")
    except OSError as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ModelUnavailableError(
            f"base model {name} cannot be read ({first}); download it beforehand into the same HF_HOME on a "
            f"machine that reaches the hub (`huggingface-cli download {name}`), or set the profile's model to "
            "a local directory holding it") from err
    return name


def build_tiny_model(spec: TinyModel, out: Path, tokenizer_dir=None) -> None:
    """Write a seeded, randomly initialised XLM-R masked-LM and its tokenizer to `out`: the fixture
    tokenizer, or the one in `tokenizer_dir` (whose fingerprint `spec.tokenizer` names), the
    embedding as large as its vocabulary."""
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaForMaskedLM

    if spec.tokenizer:
        if tokenizer_dir is None or tokenizer_fingerprint(tokenizer_dir) != spec.tokenizer:
            raise TokenizerError(f"the tiny model {spec.name} needs the tokenizer whose fingerprint is "
                                 f"{spec.tokenizer[:12]}..., but --tokenizer gave {tokenizer_dir or 'none'}: "
                                 "pass the same --tokenizer folder the run was planned with")
        tokenizer = load_tokenizer(tokenizer_dir, max_length=spec.max_positions - 2)
    else:
        tokenizer = fixture_tokenizer(max_length=spec.max_positions - 2)
    config = XLMRobertaConfig(
        vocab_size=len(tokenizer), hidden_size=spec.hidden_size, num_hidden_layers=spec.num_layers,
        num_attention_heads=spec.num_heads, intermediate_size=spec.intermediate_size,
        max_position_embeddings=spec.max_positions, type_vocab_size=1,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(spec.init_seed)
    model = XLMRobertaForMaskedLM(config)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
