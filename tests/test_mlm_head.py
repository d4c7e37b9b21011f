"""The MLM head on masked positions only (`MaskedLanguageModelling.head_forward`): the full head's
loss, gradients and masked-token predictions, without vocabulary-sized scores for every token."""
from __future__ import annotations

import pytest

from repro.tasks import get_task

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    from repro.models import build_tiny_model
    from repro.profiles import TinyModel
    out = tmp_path_factory.mktemp("tiny")
    build_tiny_model(TinyModel(), out)
    return out


def _batch(vocab: int):
    generator = torch.Generator().manual_seed(3)
    input_ids = torch.randint(5, vocab, (3, 11), generator=generator)
    attention_mask = torch.ones_like(input_ids)
    attention_mask[2, 7:] = 0  # a padded row
    labels = torch.full_like(input_ids, -100)
    for row, column in ((0, 1), (0, 4), (1, 2), (1, 9), (2, 3)):
        labels[row, column] = int(input_ids[row, column])
    return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}


def _grads(model):
    return {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}


def test_masked_positions_head_gives_the_full_heads_loss_gradients_and_predictions(tiny_checkpoint):
    from transformers import AutoModelForMaskedLM
    fmt = get_task("mlm").format
    model = AutoModelForMaskedLM.from_pretrained(str(tiny_checkpoint))
    batch = _batch(model.config.vocab_size)

    model.train()
    torch.manual_seed(0)  # dropout draws alike in both passes
    full = model(**batch)
    full.loss.backward()
    full_grads = _grads(model)
    model.zero_grad()
    torch.manual_seed(0)
    masked = fmt.head_forward(model, **batch)
    masked.loss.backward()
    assert masked.logits is None  # training reads the loss only
    assert masked.loss.item() == pytest.approx(full.loss.item(), rel=1e-5)
    grads = _grads(model)
    assert set(grads) == set(full_grads)
    for name, grad in grads.items():
        assert torch.allclose(grad, full_grads[name], rtol=1e-4, atol=1e-6), name

    model.eval()
    with torch.no_grad():
        logits = model(**batch).logits
        predicted = fmt.head_forward(model, **batch).logits
    chosen = batch["labels"] != -100
    assert torch.equal(predicted[chosen], logits.argmax(-1)[chosen])
    assert (predicted[~chosen] == -100).all()
    # the evaluation loop's reduction keeps the ids, and still reduces full logits
    assert torch.equal(fmt.reduce_logits(predicted, batch["labels"]), predicted)
    assert torch.equal(fmt.reduce_logits((logits,), batch["labels"]), logits.argmax(-1))


def test_mixture_runs_the_mlm_head_on_masked_positions_and_other_heads_whole(tiny_checkpoint):
    from repro.multitask import _build_model
    tasks = [get_task("mnli"), get_task("mlm")]
    torch.manual_seed(0)
    model = _build_model([t.format for t in tasks], tasks, str(tiny_checkpoint)).eval()
    batch = _batch(model.heads[1].config.vocab_size)
    with torch.no_grad():
        out = model(task=1, **batch)
        full = model.heads[1](**batch)
        classified = model(task=0, input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    assert out.logits.shape == batch["labels"].shape  # token ids, not vocabulary-sized scores
    assert out.loss.item() == pytest.approx(full.loss.item(), rel=1e-5)
    assert classified.logits.shape == (3, len(get_task("mnli").labels))
