"""Base models: the tiny offline XLM-R of the smoke profile, and hub checkpoints."""
from __future__ import annotations

from pathlib import Path

from repro.fixtures.build_tokenizer import TOKENIZER_PATH
from repro.profiles import TinyModel


def fixture_tokenizer(max_length: int = 128):
    """The committed fixture tokenizer, with XLM-R's special tokens and pipeline."""
    from transformers import XLMRobertaTokenizerFast
    if not TOKENIZER_PATH.is_file():
        raise FileNotFoundError(f"{TOKENIZER_PATH} is missing; rebuild it with "
                                "`python -m repro.fixtures.build_tokenizer`")
    return XLMRobertaTokenizerFast(tokenizer_file=str(TOKENIZER_PATH), model_max_length=max_length)


class ModelUnavailableError(ValueError):
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


def build_tiny_model(spec: TinyModel, out: Path) -> None:
    """Write a seeded, randomly initialised XLM-R masked-LM and its tokenizer to `out`."""
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaForMaskedLM

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
