"""Training: length-sorted evaluation gives the unsorted answers, labels survive collation with a left-padding
tokenizer, the warm-up comes from the fraction, and a short run writes its QA settings and F1-per-minute curve with
evaluation time left out, its embeddings frozen when asked."""
import json, time
import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoTokenizer, DistilBertConfig, DistilBertForQuestionAnswering, Trainer, TrainingArguments, set_seed
import extractive_qa.training as training
from extractive_qa.config import OFFLINE_MINILM, cpu_supports_bf16, get_config, resolve_checkpoint, training_precision
from extractive_qa.data import load_config_data
from extractive_qa.features import WindowCollator, prepare_train_features
from extractive_qa.config import qa_settings, read_qa_settings
from extractive_qa.postprocess import postprocess_with_details
from extractive_qa.scoring import normalize_answer
from extractive_qa.training import (build_eval_features, build_train_features, build_trainer, load_model_and_tokenizer,
                                    train_and_evaluate, trained_model_summary, training_arguments)


def seeded_model(seed: int = 0):
    "The offline MiniLM with its span head initialised under `seed`, and its tokenizer."
    set_seed(seed)
    return load_model_and_tokenizer(OFFLINE_MINILM)


def test_sorted_evaluation_gives_the_unsorted_answers(data_dir, tmp_path):
    config = get_config("smoke", data_dir=str(data_dir), max_eval_examples=24, eval_batch_size=4, precision="fp32")
    examples = load_config_data(config, ("validation",))["validation"]
    model, tokenizer = seeded_model()
    features = build_eval_features(examples, tokenizer, config)
    trainer = build_trainer(config, model, tokenizer, None, examples, features, output_dir=tmp_path)
    lengths = [len(ids) for ids in trainer.eval_dataset["input_ids"]]
    assert lengths == sorted(lengths, reverse=True), "the Trainer evaluates windows sorted by length"
    assert lengths != [len(ids) for ids in features["input_ids"]], "this slice must not be sorted already"
    trainer.evaluate()
    sorted_run = trainer.squad_metrics.last

    plain = Trainer(model=model, args=TrainingArguments(output_dir=str(tmp_path / "plain"), per_device_eval_batch_size=4,
                                                        report_to=[], use_cpu=True, disable_tqdm=True),
                    data_collator=WindowCollator(tokenizer))
    start, end = plain.predict(features).predictions[:2]  # dataset order, batches of mixed lengths
    unsorted_run = postprocess_with_details(examples, features, (start, end), n_best_size=config.n_best_size,
                                            max_answer_length=config.max_answer_length)
    assert sorted_run.answers == unsorted_run.answers
    assert sorted_run.nbest.keys() == unsorted_run.nbest.keys()
    for question in sorted_run.nbest:
        assert [c["text"] for c in sorted_run.nbest[question]] == [c["text"] for c in unsorted_run.nbest[question]]

    sorted_start, _ = trainer.predict(features).predictions[:2]  # predict sorts too, and hands rows back in input order
    for row, ids in enumerate(features["input_ids"]):
        np.testing.assert_allclose(sorted_start[row, :len(ids)], start[row, :len(ids)], atol=1e-4)


def test_labels_point_at_the_answer_after_collation_with_a_left_padding_tokenizer(data_dir, tmp_path):
    config = get_config("smoke", data_dir=str(data_dir), max_train_examples=64, train_batch_size=8, max_device_batch_size=8)
    examples = load_config_data(config, ("train",))["train"]
    model, tokenizer = seeded_model()
    tokenizer.padding_side = "left"
    features = build_train_features(examples, tokenizer, config)
    by_tokens = {tuple(row["input_ids"]): row for row in features}
    gold_by_question = {tuple(tokenizer(q, add_special_tokens=False)["input_ids"]): a["text"][0]
                        for q, a in zip(examples["question"], examples["answers"])}
    trainer = build_trainer(config, model, tokenizer, features, output_dir=tmp_path)
    rows = padded = matched = 0
    for batch in trainer.get_train_dataloader():
        for input_ids, mask, start, end in zip(batch["input_ids"].tolist(), batch["attention_mask"].tolist(),
                                               batch["start_positions"].tolist(), batch["end_positions"].tolist()):
            length = sum(mask)
            assert mask == [1] * length + [0] * (len(mask) - length), "padding must be on the right"
            window = by_tokens[tuple(input_ids[:length])]
            assert (start, end) == (window["start_positions"], window["end_positions"])
            rows, padded = rows + 1, padded + (length < len(mask))
            question = tuple(input_ids[1:input_ids.index(tokenizer.sep_token_id)])
            labelled = normalize_answer(tokenizer.decode(input_ids[start:end + 1])).replace(" ", "")
            matched += labelled == normalize_answer(gold_by_question[question]).replace(" ", "")
    assert rows == len(features) and padded > rows // 4, (rows, padded)
    assert matched >= 0.9 * rows, f"only {matched} of {rows} labelled spans decode to the gold answer"


def test_warmup_steps_come_from_the_fraction(tmp_path):
    config = get_config("smoke", data_dir=None, warmup_fraction=0.25, learning_rate=1e-3, lr_scheduler_type="linear")
    arguments = training_arguments(config, tmp_path)
    assert arguments.get_warmup_steps(40) == 10 and arguments.get_warmup_steps(41) == 11  # rounded up
    tokenizer = AutoTokenizer.from_pretrained(resolve_checkpoint(OFFLINE_MINILM))
    tiny = DistilBertForQuestionAnswering(DistilBertConfig(vocab_size=tokenizer.vocab_size, dim=16, n_layers=1, n_heads=2,
                                                           hidden_dim=32))
    trainer = build_trainer(config, tiny, tokenizer, output_dir=tmp_path)
    trainer.create_optimizer_and_scheduler(num_training_steps=40)
    rates = []
    for _ in range(40):
        rates.append(trainer.lr_scheduler.get_last_lr()[0])
        trainer.optimizer.step()
        trainer.lr_scheduler.step()
    assert int(np.argmax(rates)) == 10, "the peak comes after a quarter of the 40 steps"
    np.testing.assert_allclose([rates[0], rates[5], rates[10], rates[25]], [0.0, 5e-4, 1e-3, 5e-4], atol=1e-9)


def test_short_run_writes_settings_and_curve_without_evaluation_time(data_dir, tmp_path, monkeypatch):
    pause = 1.0
    score = training.SquadMetrics.__call__
    def slow_score(self, evaluation):
        time.sleep(pause)
        return score(self, evaluation)
    monkeypatch.setattr(training.SquadMetrics, "__call__", slow_score)
    config = get_config("smoke", data_dir=str(data_dir), max_train_examples=48, max_eval_examples=12, max_steps=4,
                        eval_steps=2, train_batch_size=8, max_device_batch_size=8, freeze_embeddings=True,
                        output_dir=str(tmp_path / "run"))
    metrics = train_and_evaluate(config, verbose=False)
    run = tmp_path / "run"

    check = metrics["bf16_check"]   # None where this machine has no native bf16
    assert read_qa_settings(run / "model") == {**qa_settings(config), **({"bf16_verified": check["verified"]} if check else {})}
    curve = json.loads((run / "eval_curve.json").read_text())
    assert [point["step"] for point in curve] == [2, 4]
    assert all(set(point) == {"step", "train_seconds", "exact_match", "f1"} for point in curve)
    assert 0 < curve[0]["train_seconds"] <= curve[1]["train_seconds"]
    assert curve[-1]["f1"] == metrics["f1"] and curve[-1]["exact_match"] == metrics["exact_match"]
    history = json.loads((run / "log_history.json").read_text())
    wall = [entry["train_runtime"] for entry in history if "train_runtime" in entry][0]  # evaluations included
    assert metrics["train_seconds"] <= wall - 2 * pause + 0.2, (metrics["train_seconds"], wall)
    assert curve[-1]["train_seconds"] <= metrics["train_seconds"] + 0.0505  # after the last step; tenths and milliseconds, each rounded once

    base = load_file(f"{resolve_checkpoint(OFFLINE_MINILM)}/model.safetensors")
    tuned = load_file(run / "model" / "model.safetensors")
    for name in ("word_embeddings", "position_embeddings", "token_type_embeddings"):
        key = next(k for k in tuned if k.endswith(f"embeddings.{name}.weight"))
        base_key = next(k for k in base if k.endswith(f"embeddings.{name}.weight"))
        assert torch.equal(tuned[key], base[base_key]), f"{name} must stay frozen"
    layer = next(k for k in tuned if "layer.0.attention" in k and k.endswith("weight"))
    assert not torch.equal(tuned[layer], base[next(k for k in base if k.endswith(layer.split("bert.")[-1]))])

    written = (run / "metrics.json").stat().st_mtime
    summary = trained_model_summary(config)
    assert (run / "metrics.json").stat().st_mtime == written, "a finished run is not retrained"
    assert summary.startswith("profile smoke:") and f"F1 {metrics['f1']:.1f}" in summary and "on 12 held-out" in summary
    assert metrics["eval_windows_scored"] == metrics["features"]
    if cpu_supports_bf16(): assert training_precision(config) == dict(fp16=False, bf16=True, use_cpu=True)


# Expected scores worked out by hand with the official rules (evaluate-v1.1.py / evaluate-v2.0.py), not by the scoring module:
# a: "Paris" = "Paris": EM 1, F1 1.  b: v1.1 gold "the sea", answer "": 0, 0; v2.0 no gold answer, answer "": 1, 1.
# c: "dark blue" against "blue" (F1 2*(1/2*1)/(1/2+1) = 2/3) and "light blue" (F1 1/2): EM 0, F1 2/3.
HAND_SCORES = {
    False: dict(exact_match=100 / 3, f1=100 * (1 + 0 + 2 / 3) / 3, total=3),
    True: dict(exact_match=200 / 3, f1=100 * (1 + 1 + 2 / 3) / 3, total=3, HasAns_exact=50.0, HasAns_f1=100 * (1 + 2 / 3) / 2,
               NoAns_exact=100.0, NoAns_f1=100.0),
}
# Best thresholds (v2.0) of the best spans a "Paris", b "London" (b has no answer: -1 once b is answered), c "dark blue",
# walked in the order of their null odds from 1 (the unanswerable b right, every question abstaining):
BEST_THRESHOLDS = [
    # a -3, c 1.5, b 2. EM: a +1 = 2 (at -3), c +0, b -1. F1: a +1 = 2, c +2/3 = 8/3 (at 1.5), b -1.
    (dict(a=-3.0, b=2.0, c=1.5), dict(best_exact=200 / 3, best_exact_thresh=-3.0, best_f1=800 / 9, best_f1_thresh=1.5)),
    # a -3, b 1, c 1.5. EM: a +1 = 2 (at -3), b -1, c +0. F1: a +1 = 2 (at -3), b -1, c +2/3 = 5/3.
    (dict(a=-3.0, b=1.0, c=1.5), dict(best_exact=200 / 3, best_exact_thresh=-3.0, best_f1=200 / 3, best_f1_thresh=-3.0)),
]

@pytest.mark.parametrize("version_2", [False, True], ids=["v1.1", "v2.0"])
@pytest.mark.parametrize("null_odds, best", BEST_THRESHOLDS, ids=["b-last", "b-before-c"])
def test_squad_metrics_score_like_the_official_rules(version_2, null_odds, best):
    from datasets import Dataset
    examples = Dataset.from_dict({"id": ["a", "b", "c"], "answers": [
        {"text": ["Paris"], "answer_start": [0]},
        {"text": [] if version_2 else ["the sea"], "answer_start": [] if version_2 else [4]},
        {"text": ["blue", "light blue"], "answer_start": [3, 0]}]})
    metrics = training.SquadMetrics(examples, examples, get_config("smoke", data_dir=None, version_2=version_2))
    answers, best_spans = {"a": "Paris", "b": "", "c": "dark blue"}, {"a": "Paris", "b": "London", "c": "dark blue"}
    scores = metrics.score(answers, best_spans, null_odds)
    expected = {**HAND_SCORES[version_2], **(best if version_2 else {})}
    for name, value in expected.items(): assert scores[name] == pytest.approx(value), name
