"""Length-grouped training batches: a profile option that enters the run identity."""
from dataclasses import replace

from transformers.trainer_pt_utils import LengthGroupedSampler

from repro import plan


def test_length_grouping_is_off_on_both_profiles():
    from repro.profiles import PAPER, SMOKE
    assert not PAPER.length_grouped and not SMOKE.length_grouped


def test_a_length_grouped_profile_trains_in_grouped_batches(quick_engine, quick_profile, tmp_path):
    from transformers import AutoTokenizer, Trainer

    grouped = replace(quick_profile, length_grouped=True)
    random_spec = plan.target_spec(quick_profile, quick_engine.data, "xnli", intermediate=None, seed=1)
    spec = plan.target_spec(grouped, quick_engine.data, "xnli", intermediate=None, seed=1)
    assert spec.length_grouped and spec.key != random_spec.key
    # a mixture draws its own single-task batches: never grouped
    mixture = replace(grouped, intermediate={"mnli": quick_profile.intermediate["mnli"],
                                             "qqp": quick_profile.intermediate["mnli"]},
                      mixture=quick_profile.intermediate["mnli"])
    assert not plan.intermediate_spec(mixture, quick_engine.data, ("mnli", "qqp"), 1).length_grouped
    assert plan.intermediate_spec(grouped, quick_engine.data, ("mnli",), 1).length_grouped

    config = spec.train[0][1]
    args = quick_engine.training_args(spec, config, tmp_path)
    quick_engine.ensure(spec.parent)
    init = str(quick_engine.store.path(spec.parent) / "model")
    tokenizer = AutoTokenizer.from_pretrained(init)
    item = quick_engine._load_task("xnli", config, tokenizer)
    model = item.task.format.model_class.from_pretrained(init, **item.task.format.model_kwargs(item.task))
    trainer = Trainer(model=model, args=args, train_dataset=item.train, eval_dataset=item.dev,
                      processing_class=tokenizer, data_collator=item.task.format.collator(tokenizer))
    assert isinstance(trainer._get_train_sampler(), LengthGroupedSampler)
    random_args = quick_engine.training_args(random_spec, config, tmp_path)
    assert not isinstance(Trainer(model=model, args=random_args, train_dataset=item.train, eval_dataset=item.dev,
                                  processing_class=tokenizer)._get_train_sampler(), LengthGroupedSampler)
    # and the run trains and is stored under its own key
    run = quick_engine.ensure(spec)
    assert run.read_json("spec.json")["key"] == spec.key and run.read_json("metrics.json")["xnli"]
