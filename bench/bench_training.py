"""Training throughput and evaluation speed, each trick measured on its own, through the Hugging Face `Trainer`.

    python bench/bench_training.py [--smoke] [--data-dir D] [--sections training,evaluation] [--repeats N] [--model M]
                                   [--steps N] [--batch-size B] [--train-examples N] [--eval-examples N] [--eval-questions N]

training: the same model, seed, training windows, optimizer steps and schedule on three sides:
  padded   windows padded to max_length, `default_data_collator`, random batches (the original course's recipe);
  dynamic  unpadded windows, `WindowCollator` pads each batch to its longest window, random batches;
  grouped  dynamic padding + `train_sampling_strategy="group_by_length"` (the course's recipe).
  Two lines: dynamic padding (dynamic / padded) and length grouping (grouped / dynamic), in train samples/second,
  each side run `--repeats` times (at least 2), sides alternating, medians reported; plus EM/F1 of each side's model.
evaluation: `Trainer.evaluate` over the cpu profile's held-out questions (1,000; its window length, stride and batch
  size) with the grouped side's model (or `--model`), alternating, medians. Line "fp32", the target: windows in dataset
  order (the order-preserving evaluation the landed code ran; it trained and evaluated in fp32 on CPUs) against windows
  sorted by length (`build_trainer`, what `train` runs now), both fp32, where the answers must be identical. Line
  "<training precision>" (bf16 on CPUs with AVX512-BF16/AMX), reported only: evaluation under the training precision's
  autocast in dataset order (what evaluating inside `Trainer.train` does by default) against the sorted fp32 evaluation
  `train` runs (`QuestionAnsweringTrainer.prediction_step` leaves autocast out, so answers do not depend on a batch's
  padding); identical answers are counted, next to a control: the autocast evaluation at half the batch size.

Fails if the sides did not start from the same weights or data, if sorted fp32 evaluation changes an answer, or (without
--smoke) if the combined training ratio (grouped / padded, target 1.7) or the evaluation ratio (target 1.5) misses its
target (in the training precision); the separate padding and grouping lines and F1 are reported only.
"""
from common import configure, finish, load_examples, parse_args, show

import statistics, tempfile, time
from copy import deepcopy
import numpy as np
import torch
from transformers import Trainer, TrainingArguments, default_data_collator, set_seed
from extractive_qa.config import OFFLINE_MINILM, choose_precision, cpu_supports_bf16, cuda_compute_capability, get_config
from extractive_qa.data import load_config_data
from extractive_qa.features import WindowCollator, prepare_train_features, prepare_validation_features
from extractive_qa.postprocess import postprocess_predictions
from extractive_qa.scoring import score_predictions
from extractive_qa.training import build_eval_features, build_trainer, load_model_and_tokenizer

MAX_LENGTH, DOC_STRIDE, LEARNING_RATE, WARMUP, EVAL_BATCH = 384, 128, 3e-4, 0.1, 32
SIZES = {False: dict(steps=40, batch_size=16, train_examples=1_000, eval_examples=300, eval_questions=1_000, repeats=2),
         True: dict(steps=2, batch_size=4, train_examples=24, eval_examples=8, eval_questions=12, repeats=2)}
TARGETS = dict(combined=1.7, sorted_evaluation=1.5)  # the two lines of each trick alone are reported only
SIDES = {"padded": ("max_length + default_data_collator", "random"),
         "dynamic": ("dynamic + WindowCollator", "random"),
         "grouped": ("dynamic + WindowCollator", "group_by_length")}


def add_arguments(parser) -> None:
    "Sizes that override the defaults (smaller with --smoke), and which sections to run."
    for name in SIZES[False]: parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=None)
    parser.add_argument("--sections", default="training,evaluation", help="comma-separated: training, evaluation")
    parser.add_argument("--model", default=None, help="a trained model folder (e.g. runs/cpu/model) for the evaluation section, "
                                                      "instead of the grouped side's model")


def windows(examples, function, tokenizer, **kwargs):
    "The windows of `examples` made by `function` (max_length 384, doc_stride 128), every window kept."
    return examples.map(function, batched=True, remove_columns=examples.column_names, load_from_cache_file=False,
                        fn_kwargs=dict(tokenizer=tokenizer, max_length=MAX_LENGTH, doc_stride=DOC_STRIDE, **kwargs))


def pad_to_max_length(features, tokenizer):
    "The same windows padded (on the right) to max_length, like the original course's `padding=\"max_length\"`."
    names = [n for n in tokenizer.model_input_names if n in features.column_names]
    pad = lambda batch: dict(tokenizer.pad({n: batch[n] for n in names}, padding="max_length", max_length=MAX_LENGTH,
                                           padding_side="right"))
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
    "The training arguments all sides share; only the sampling strategy differs."
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


def score(model, tokenizer, examples, features, output_dir: str) -> dict:
    "EM and F1 of `model` on `examples`: Trainer.predict over the windows, n-best span search, official scoring."
    trainer = Trainer(model=model, args=TrainingArguments(output_dir=output_dir, per_device_eval_batch_size=EVAL_BATCH,
                                                          report_to=[], dataloader_pin_memory=False, disable_tqdm=True),
                      data_collator=WindowCollator(tokenizer), processing_class=tokenizer)
    start_logits, end_logits = trainer.predict(features).predictions[:2]
    answers = postprocess_predictions(examples, features, (start_logits, end_logits), n_best_size=20, max_answer_length=30)
    scores = score_predictions(examples, answers, verbose=False)
    return dict(exact_match=round(scores["exact_match"], 3), f1=round(scores["f1"], 3))


def median_of(runs: list[dict], key: str) -> float:
    return round(statistics.median(run[key] for run in runs), 3)


def training_section(args, sizes: dict, tokenizer, output_dir: str):
    "Train every side `repeats` times, alternating; return the figures, the checks and the grouped side's model."
    train_examples = load_examples(args.data_dir, "train", sizes["train_examples"], args.seed)
    eval_examples = load_examples(args.data_dir, "validation", sizes["eval_examples"], args.seed)
    unpadded = windows(train_examples, prepare_train_features, tokenizer)
    padded = pad_to_max_length(unpadded, tokenizer)
    eval_features = windows(eval_examples, prepare_validation_features, tokenizer)
    inputs = dict(train_windows=len(unpadded), eval_windows=len(eval_features),
                  mean_window_tokens=round(float(np.mean([len(ids) for ids in unpadded["input_ids"]])), 1))
    show("training inputs", inputs)
    data = {"padded": (padded, default_data_collator), "dynamic": (unpadded, WindowCollator(tokenizer)),
            "grouped": (unpadded, WindowCollator(tokenizer))}
    runs, heads, models = {side: [] for side in SIDES}, {}, {}
    for repeat in range(sizes["repeats"]):
        for side, (padding, sampling) in SIDES.items():
            features, collator = data[side]
            model, heads[side], figures = train_side(features, collator, sampling, tokenizer, sizes, args.seed, output_dir)
            runs[side].append(figures)
            print(f"  run {repeat + 1}, {side}: {figures['train_samples_per_second']} samples/s", flush=True)
            if repeat == sizes["repeats"] - 1: models[side] = model
    sides = {}
    for side, (padding, sampling) in SIDES.items():
        sides[side] = dict(padding=padding, sampling=sampling, runs=runs[side],
                           train_samples_per_second=median_of(runs[side], "train_samples_per_second"),
                           train_runtime_seconds=median_of(runs[side], "train_runtime_seconds"),
                           **score(models[side], tokenizer, eval_examples, eval_features, output_dir))
        show(side, {k: v for k, v in sides[side].items() if k != "runs"})
    speed = {side: sides[side]["train_samples_per_second"] for side in SIDES}
    ratios = dict(dynamic_padding=round(speed["dynamic"] / speed["padded"], 3),
                  length_grouping=round(speed["grouped"] / speed["dynamic"], 3),
                  combined=round(speed["grouped"] / speed["padded"], 3))
    checks = dict(same_initial_weights=all(torch.equal(heads["padded"], heads[side]) for side in SIDES),
                  same_windows_but_padding=same_but_padding(padded, unpadded),
                  all_steps_done=all(run["steps_done"] == sizes["steps"] for side in SIDES for run in runs[side]))
    return dict(inputs=inputs, sides=sides, ratios=ratios, checks=checks), models["grouped"]


def evaluation_trainer(config, model, tokenizer, examples, features, output_dir: str, sort: bool, mixed_precision: bool = False):
    """The course's evaluation trainer (`build_trainer`: windows sorted by length, fp32), or with windows in dataset order;
    `mixed_precision`: evaluate under the training precision's autocast, as `Trainer.train`'s own evaluations would."""
    trainer = build_trainer(config, model, tokenizer, None, examples, features, output_dir)
    if not sort:  # the order-preserving evaluation before sorting: the metrics pair rows with windows in dataset order
        trainer.eval_dataset = trainer.squad_metrics.features = features
    if mixed_precision:  # inside `Trainer.train` a plain prediction step runs the model's forward under autocast
        device, dtype = ("cuda" if torch.cuda.is_available() else "cpu"), getattr(torch, {"bf16": "bfloat16", "fp16": "float16"}[config.precision])
        def autocast_prediction_step(*args, **kwargs):
            with torch.autocast(device, dtype=dtype): return Trainer.prediction_step(trainer, *args, **kwargs)
        trainer.prediction_step = autocast_prediction_step
    return trainer


def evaluation_section(args, sizes: dict, model, tokenizer, output_dir: str) -> dict:
    "Time `Trainer.evaluate` on the cpu profile's questions, windows in dataset order vs sorted by length, alternating."
    config = get_config("cpu", data_dir=args.data_dir, max_eval_examples=sizes["eval_questions"], seed=args.seed)
    examples = load_config_data(config, ("validation",))["validation"]
    features = build_eval_features(examples, tokenizer, config)
    training_choice = choose_precision(config.precision, cuda_compute_capability(), cpu_supports_bf16())
    precisions = ["fp32"] + ([training_choice] if training_choice != "fp32" else [])
    trainers = {}
    for precision in precisions:  # a model per precision: a bf16 trainer leaves an autocast wrapper on its model
        copy = deepcopy(model)
        for side in ("unsorted", "sorted"):
            trainers[precision, side] = evaluation_trainer(config.replace(precision=precision), copy, tokenizer, examples,
                                                           features, output_dir, sort=side == "sorted",
                                                           mixed_precision=precision != "fp32" and side == "unsorted")
    lengths = np.array([len(ids) for ids in features["input_ids"]])
    inputs = dict(questions=len(examples), windows=len(features), eval_max_length=config.eval_max_length,
                  eval_doc_stride=config.eval_doc_stride, eval_batch_size=config.eval_batch_size,
                  mean_window_tokens=round(float(lengths.mean()), 1), precisions=precisions,
                  training_precision=training_choice)
    show("evaluation inputs", inputs)
    seconds, answers, scores = {key: [] for key in trainers}, {}, {}
    for repeat in range(sizes["repeats"]):
        for key, trainer in trainers.items():
            began = time.perf_counter()
            scores[key] = trainer.evaluate()
            seconds[key].append(round(time.perf_counter() - began, 3))
            answers[key] = dict(trainer.squad_metrics.last.answers)
            print(f"  run {repeat + 1}, {key[0]} {key[1]}: {seconds[key][-1]} s", flush=True)
    result = dict(inputs=inputs, questions=len(examples))
    for precision in precisions:
        figures = {side: dict(seconds=seconds[precision, side], median_seconds=round(statistics.median(seconds[precision, side]), 3),
                              exact_match=round(scores[precision, side]["eval_exact_match"], 3),
                              f1=round(scores[precision, side]["eval_f1"], 3)) for side in ("unsorted", "sorted")}
        figures["ratio"] = round(figures["unsorted"]["median_seconds"] / figures["sorted"]["median_seconds"], 3)
        figures["identical_answers"] = sum(answers[precision, "sorted"][q] == answers[precision, "unsorted"][q] for q in answers[precision, "unsorted"])
        if precision != "fp32":  # control: the same unsorted evaluation with half the batch size
            control = evaluation_trainer(config.replace(precision=precision, eval_batch_size=config.eval_batch_size // 2),
                                         trainers[precision, "unsorted"].model, tokenizer, examples, features, output_dir, sort=False,
                                         mixed_precision=True)
            control.evaluate()
            figures["identical_answers_unsorted_half_batch"] = sum(control.squad_metrics.last.answers[q] == answers[precision, "unsorted"][q]
                                                                   for q in answers[precision, "unsorted"])
        show(f"evaluation, {precision}", figures)
        result[precision] = figures
    result["ratio"] = result["fp32"]["ratio"]
    result["identical_answers"] = result["fp32"]["identical_answers"]
    return result


def main():
    args = parse_args(__doc__.splitlines()[0], add_arguments)
    threads = configure()
    sizes = {name: getattr(args, name) or value for name, value in SIZES[args.smoke].items()}
    if sizes["repeats"] < 2: raise SystemExit("--repeats must be at least 2: each side runs twice or more, alternating")
    sections = set(args.sections.split(","))
    _, tokenizer = load_model_and_tokenizer(OFFLINE_MINILM)
    inputs = dict(smoke=args.smoke, data_dir=args.data_dir, model=OFFLINE_MINILM, seed=args.seed, threads=threads,
                  device="cuda" if torch.cuda.is_available() else "cpu", **sizes, sections=sorted(sections),
                  evaluation_model=args.model or "the grouped side's model (a fresh head without the training section)",
                  max_length=MAX_LENGTH, doc_stride=DOC_STRIDE, learning_rate=LEARNING_RATE, warmup_steps=WARMUP,
                  lr_scheduler_type="linear", eval_batch_size=EVAL_BATCH)
    show("inputs", inputs)
    result, failures = dict(inputs=inputs), []
    with tempfile.TemporaryDirectory() as output_dir:
        model = fresh_model(args.seed)
        if "training" in sections:
            training, model = training_section(args, sizes, tokenizer, output_dir)
            sides, ratios = training["sides"], training["ratios"]
            result.update(training=training, original=sides["padded"], ours=sides["grouped"], ratio=ratios["combined"],
                          f1_ours_minus_original=round(sides["grouped"]["f1"] - sides["padded"]["f1"], 3), **training["checks"])
            print(f"\nRATIO dynamic padding: dynamic/padded train samples per second = {ratios['dynamic_padding']} "
                  f"(medians of {sizes['repeats']} runs each)")
            print(f"RATIO length grouping: grouped/dynamic train samples per second = {ratios['length_grouping']}")
            print(f"RATIO both: grouped/padded = {ratios['combined']} (target >= {TARGETS['combined']})")
            failures += [f"check failed: {name}" for name, passed in training["checks"].items() if not passed]
            if not args.smoke:
                failures += [f"{name} ratio {ratios[name]} < target {TARGETS[name]}" for name in ratios
                             if name in TARGETS and ratios[name] < TARGETS[name]]
        if "evaluation" in sections:
            if args.model: model = load_model_and_tokenizer(args.model)[0]
            evaluation = evaluation_section(args, sizes, model, tokenizer, output_dir)
            result.update(evaluation=evaluation)
            for precision in evaluation["inputs"]["precisions"]:
                figures = evaluation[precision]
                control = (f"; unsorted at half the batch size: {figures['identical_answers_unsorted_half_batch']:,} identical"
                           if "identical_answers_unsorted_half_batch" in figures else "")
                line = ("fp32: unsorted/sorted seconds" if precision == "fp32" else
                        f"{precision} autocast, dataset order / fp32 sorted (what train runs) seconds, reported only")
                print(f"RATIO sorted evaluation, {line} = {figures['ratio']} on "
                      f"{evaluation['questions']:,} questions, {figures['identical_answers']:,} identical answers{control}")
            print(f"(target >= {TARGETS['sorted_evaluation']} with identical answers on the fp32 line: the landed code evaluated "
                  "in fp32, in dataset order)")
            if evaluation["identical_answers"] != evaluation["questions"]:
                failures.append(f"sorted fp32 evaluation changed {evaluation['questions'] - evaluation['identical_answers']} answer(s)")
            if not args.smoke and evaluation["ratio"] < TARGETS["sorted_evaluation"]:
                failures.append(f"sorted evaluation ratio {evaluation['ratio']} < target {TARGETS['sorted_evaluation']}")
    finish("training", dict(**result, targets=TARGETS), failures)


if __name__ == "__main__":
    main()
