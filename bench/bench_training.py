"""Training throughput: the original course recipe (windows padded to max_length, `default_data_collator`) against
ours (no padding, `DataCollatorWithPadding`, `train_sampling_strategy="group_by_length"`), with the same model,
seed, training windows, optimizer steps and schedule, both through the Hugging Face `Trainer`.

    python bench/bench_training.py [--smoke] [--data-dir D] [--steps N] [--batch-size B] [--train-examples N] [--eval-examples N]

Reports train samples/second of each side (steps * batch / train_runtime), the RATIO ours/original, and the
exact match / F1 of each trained model on the same held-out v1.1 validation questions. Fails if the two sides did
not start from the same weights or data, or (without --smoke) if the ratio misses the target. F1 is reported only.
"""
from common import configure, finish, load_examples, parse_args, show

import tempfile
import numpy as np
import torch
from transformers import DataCollatorWithPadding, Trainer, TrainingArguments, default_data_collator, set_seed
from extractive_qa.config import OFFLINE_MINILM
from extractive_qa.features import prepare_train_features, prepare_validation_features
from extractive_qa.postprocess import postprocess_predictions
from extractive_qa.scoring import score_predictions
from extractive_qa.training import load_model_and_tokenizer

MAX_LENGTH, DOC_STRIDE, LEARNING_RATE, WARMUP, EVAL_BATCH = 384, 128, 3e-4, 0.1, 32
SIZES = {False: dict(steps=40, batch_size=16, train_examples=1_000, eval_examples=300),
         True: dict(steps=4, batch_size=8, train_examples=64, eval_examples=32)}
TARGET_RATIO = 1.7


def add_arguments(parser) -> None:
    "Sizes that override the defaults (40 steps of 16 on 1,000 examples, 300 eval questions; smaller with --smoke)."
    for name in SIZES[False]: parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=None)


def windows(examples, function, tokenizer, **kwargs):
    "The windows of `examples` made by `function` (max_length 384, doc_stride 128), every window kept."
    return examples.map(function, batched=True, remove_columns=examples.column_names, load_from_cache_file=False,
                        fn_kwargs=dict(tokenizer=tokenizer, max_length=MAX_LENGTH, doc_stride=DOC_STRIDE, **kwargs))


def pad_to_max_length(features, tokenizer):
    "The same windows padded to max_length, like the original course's `padding=\"max_length\"`."
    names = [n for n in tokenizer.model_input_names if n in features.column_names]
    pad = lambda batch: dict(tokenizer.pad({n: batch[n] for n in names}, padding="max_length", max_length=MAX_LENGTH))
    return features.map(pad, batched=True, load_from_cache_file=False)


def same_but_padding(padded, unpadded) -> bool:
    "True when `padded` holds exactly the windows and labels of `unpadded`, plus right padding."
    if len(padded) != len(unpadded): return False
    for a, b in zip(padded, unpadded):
        length = len(b["input_ids"])
        if a["input_ids"][:length] != b["input_ids"] or sum(a["attention_mask"]) != length: return False
        if (a["start_positions"], a["end_positions"]) != (b["start_positions"], b["end_positions"]): return False
    return True


def arguments(output_dir: str, sizes: dict, seed: int, sampling: str) -> TrainingArguments:
    "The training arguments both sides share; only the sampling strategy differs."
    return TrainingArguments(output_dir=output_dir, per_device_train_batch_size=sizes["batch_size"],
                             per_device_eval_batch_size=EVAL_BATCH, max_steps=sizes["steps"], learning_rate=LEARNING_RATE,
                             lr_scheduler_type="linear", warmup_steps=WARMUP, weight_decay=0.01, seed=seed,
                             train_sampling_strategy=sampling, report_to=[], save_strategy="no", eval_strategy="no",
                             logging_strategy="no", dataloader_pin_memory=False, disable_tqdm=True)


def fresh_model(seed: int):
    "The offline MiniLM with a QA head initialised under `seed` (the same weights every call)."
    set_seed(seed)
    model, _ = load_model_and_tokenizer(OFFLINE_MINILM)
    return model


def train_side(features, collator, sampling: str, tokenizer, sizes: dict, seed: int, output_dir: str):
    "Train a fresh model on `features`; return it, its initial QA-head weights and its throughput figures."
    model = fresh_model(seed)
    initial_head = model.qa_outputs.weight.detach().clone()
    trainer = Trainer(model=model, args=arguments(output_dir, sizes, seed, sampling), train_dataset=features,
                      data_collator=collator, processing_class=tokenizer)
    result = trainer.train()
    runtime, samples = result.metrics["train_runtime"], result.global_step * sizes["batch_size"]
    figures = dict(steps_done=result.global_step, train_runtime_seconds=round(runtime, 3),
                   train_samples_per_second=round(samples / runtime, 3), mean_train_loss=round(result.training_loss, 4))
    return model, initial_head, figures


def evaluate(model, tokenizer, examples, features, output_dir: str) -> dict:
    "EM and F1 of `model` on `examples`: Trainer.predict over the windows, n-best span search, official scoring."
    trainer = Trainer(model=model, args=TrainingArguments(output_dir=output_dir, per_device_eval_batch_size=EVAL_BATCH,
                                                          report_to=[], dataloader_pin_memory=False, disable_tqdm=True),
                      data_collator=DataCollatorWithPadding(tokenizer), processing_class=tokenizer)
    start_logits, end_logits = trainer.predict(features).predictions[:2]
    answers = postprocess_predictions(examples, features, (start_logits, end_logits), n_best_size=20, max_answer_length=30)
    scores = score_predictions(examples, answers)
    return dict(exact_match=round(scores["exact_match"], 3), f1=round(scores["f1"], 3))


def main():
    args = parse_args(__doc__.splitlines()[0], add_arguments)
    threads = configure()
    sizes = {name: getattr(args, name) or value for name, value in SIZES[args.smoke].items()}
    train_examples = load_examples(args.data_dir, "train", sizes["train_examples"], args.seed)
    eval_examples = load_examples(args.data_dir, "validation", sizes["eval_examples"], args.seed)
    _, tokenizer = load_model_and_tokenizer(OFFLINE_MINILM)
    ours_features = windows(train_examples, prepare_train_features, tokenizer)
    original_features = pad_to_max_length(ours_features, tokenizer)
    eval_features = windows(eval_examples, prepare_validation_features, tokenizer)
    inputs = dict(smoke=args.smoke, data_dir=args.data_dir, model=OFFLINE_MINILM, seed=args.seed, threads=threads,
                  device="cuda" if torch.cuda.is_available() else "cpu", **sizes, train_windows=len(ours_features),
                  mean_window_tokens=round(float(np.mean([len(ids) for ids in ours_features["input_ids"]])), 1),
                  eval_windows=len(eval_features), max_length=MAX_LENGTH, doc_stride=DOC_STRIDE,
                  learning_rate=LEARNING_RATE, warmup_steps=WARMUP, lr_scheduler_type="linear", eval_batch_size=EVAL_BATCH)
    show("inputs", inputs)

    sides = {"original": (original_features, default_data_collator, "random", "max_length + default_data_collator"),
             "ours": (ours_features, DataCollatorWithPadding(tokenizer), "group_by_length", "dynamic + DataCollatorWithPadding")}
    figures, heads = {}, {}
    with tempfile.TemporaryDirectory() as output_dir:
        for name, (features, collator, sampling, padding) in sides.items():
            model, heads[name], side = train_side(features, collator, sampling, tokenizer, sizes, args.seed, output_dir)
            side.update(evaluate(model, tokenizer, eval_examples, eval_features, output_dir), padding=padding, sampling=sampling)
            figures[name] = side
            show(name, side)
            del model

    ratio = round(figures["ours"]["train_samples_per_second"] / figures["original"]["train_samples_per_second"], 3)
    f1_difference = round(figures["ours"]["f1"] - figures["original"]["f1"], 3)
    checks = dict(same_initial_weights=bool(torch.equal(heads["original"], heads["ours"])),
                  same_windows_but_padding=same_but_padding(original_features, ours_features),
                  all_steps_done=all(side["steps_done"] == sizes["steps"] for side in figures.values()))
    show("comparison", dict(**checks, f1_ours_minus_original=f1_difference,
                            exact_match_ours_minus_original=round(figures["ours"]["exact_match"] - figures["original"]["exact_match"], 3)))
    print(f"\nRATIO ours/original train samples per second = {ratio} (target >= {TARGET_RATIO})")

    failures = [f"check failed: {name}" for name, passed in checks.items() if not passed]
    if not args.smoke and ratio < TARGET_RATIO: failures.append(f"ratio {ratio} < target {TARGET_RATIO}")
    finish("training", dict(inputs=inputs, **figures, **checks, f1_ours_minus_original=f1_difference,
                            ratio=ratio, target_ratio=TARGET_RATIO), failures)


if __name__ == "__main__":
    main()
