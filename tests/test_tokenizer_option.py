"""`--tokenizer DIR`: the tiny model on another tokenizer, its embedding of that tokenizer's size."""
from dataclasses import replace
from pathlib import Path

import pytest

from repro.models import TokenizerError, build_tiny_model, fixture_tokenizer, tokenizer_fingerprint, with_tokenizer
from repro.profiles import TinyModel, get_profile

REAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "realdata" / "xlmr-tokenizer"


@pytest.fixture
def folder(tmp_path):
    fixture_tokenizer().save_pretrained(tmp_path / "tok")
    return tmp_path / "tok"


def test_the_tiny_model_takes_the_tokenizer_and_its_fingerprint_enters_the_identity(folder, tmp_path):
    rehearsal = get_profile("rehearsal")
    profile = with_tokenizer(rehearsal, folder)
    assert profile.model.tokenizer == tokenizer_fingerprint(folder) and profile.tokenizer_dir == str(folder)
    assert profile.model.name != rehearsal.model.name and with_tokenizer(rehearsal, None) is rehearsal
    small = replace(profile.model, hidden_size=8, intermediate_size=8, max_positions=34)
    build_tiny_model(small, tmp_path / "m", profile.tokenizer_dir)
    from transformers import AutoConfig
    assert AutoConfig.from_pretrained(tmp_path / "m").vocab_size == len(fixture_tokenizer())
    with pytest.raises(TokenizerError, match="pass the same --tokenizer folder"):
        build_tiny_model(small, tmp_path / "other", None)


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_a_folder_that_does_not_load_is_one_line_naming_it(tmp_path, make):
    bad = tmp_path / "tok"
    if make == "empty":
        bad.mkdir()
    with pytest.raises(TokenizerError) as err:
        with_tokenizer(get_profile("rehearsal"), bad)
    message = str(err.value)
    assert message.startswith(f"--tokenizer {bad}: ") and "tokenizer_config.json" in message and "\n" not in message


def test_paper_keeps_its_models_tokenizer(folder):
    with pytest.raises(ValueError, match="uses its model's own tokenizer"):
        with_tokenizer(get_profile("paper"), folder)


@pytest.mark.skipif(not REAL.is_dir(), reason=f"no XLM-R tokenizer at {REAL} (a fresh clone)")
def test_the_real_xlmr_tokenizer_gives_an_embedding_of_250002_rows(tmp_path):
    profile = with_tokenizer(get_profile("rehearsal"), REAL)
    small = replace(profile.model, hidden_size=4, intermediate_size=4, num_heads=1)
    build_tiny_model(small, tmp_path / "m", profile.tokenizer_dir)
    from transformers import AutoTokenizer, XLMRobertaForMaskedLM
    model = XLMRobertaForMaskedLM.from_pretrained(tmp_path / "m")
    assert model.get_input_embeddings().weight.shape[0] == 250_002
    assert AutoTokenizer.from_pretrained(tmp_path / "m")("Hello World!")["input_ids"] == [0, 35378, 6661, 38, 2]
