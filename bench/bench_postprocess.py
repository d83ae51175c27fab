"""Postprocessing: the original course `postprocess_qa_predictions` (a Python loop over windows and n_best × n_best
start/end pairs, reading each window's row from the dataset) against `extractive_qa.postprocess.postprocess_predictions`
(vectorised), on the same windows and the same logits.

    python bench/bench_postprocess.py [--smoke] [--data-dir D]

Windows: SQuAD v1.1 dev (all 10,570 questions; --smoke: 300) at max_length 384 / doc_stride 128 with the MiniLM
tokenizer. Logits: seeded normal noise, padded with -100 past each window like `Trainer.predict`. Fails if any answer
differs, or (without --smoke) if original/ours is below 30. Reports peak memory of our call (tracemalloc) too.
"""
from common import configure, finish, load_examples, parse_args, show, timer

import collections, tracemalloc
import numpy as np
from transformers import AutoTokenizer
from extractive_qa.config import OFFLINE_MINILM, resolve_checkpoint
from extractive_qa.features import prepare_validation_features
from extractive_qa.postprocess import postprocess_predictions

MAX_LENGTH, DOC_STRIDE, N_BEST, MAX_ANSWER_LENGTH = 384, 128, 20, 30
SMOKE_EXAMPLES = 300
TARGET_RATIO = 30.0


def original_postprocess(examples, features, raw_predictions, tokenizer, n_best_size=N_BEST, max_answer_length=MAX_ANSWER_LENGTH):
    "The course's function in SQuAD 1.1 mode, transcribed as written (progress bar and print left out)."
    all_start_logits, all_end_logits = raw_predictions
    example_id_to_index = {k: i for i, k in enumerate(examples["id"])}
    features_per_example = collections.defaultdict(list)
    for i, feature in enumerate(features):
        features_per_example[example_id_to_index[feature["example_id"]]].append(i)
    predictions = collections.OrderedDict()
    for example_index, example in enumerate(examples):
        feature_indices = features_per_example[example_index]
        valid_answers = []
        context = example["context"]
        for feature_index in feature_indices:
            start_logits = all_start_logits[feature_index]
            end_logits = all_end_logits[feature_index]
            offset_mapping = features[feature_index]["offset_mapping"]
            cls_index = features[feature_index]["input_ids"].index(tokenizer.cls_token_id)
            feature_null_score = start_logits[cls_index] + end_logits[cls_index]  # noqa: F841 (v2 only)
            start_indexes = np.argsort(start_logits)[-1: -n_best_size - 1: -1].tolist()
            end_indexes = np.argsort(end_logits)[-1: -n_best_size - 1: -1].tolist()
            for start_index in start_indexes:
                for end_index in end_indexes:
                    if (start_index >= len(offset_mapping) or end_index >= len(offset_mapping)
                            or offset_mapping[start_index] is None or offset_mapping[end_index] is None):
                        continue
                    if end_index < start_index or end_index - start_index + 1 > max_answer_length:
                        continue
                    start_char = offset_mapping[start_index][0]
                    end_char = offset_mapping[end_index][1]
                    valid_answers.append({"score": start_logits[start_index] + end_logits[end_index],
                                          "text": context[start_char: end_char]})
        best_answer = sorted(valid_answers, key=lambda x: x["score"], reverse=True)[0] if valid_answers else {"text": "", "score": 0.0}
        predictions[example["id"]] = best_answer["text"]
    return predictions


def synthetic_logits(features, seed: int):
    "Seeded normal start/end logits `(windows, longest)`, -100 past each window's end (as Trainer.predict pads)."
    lengths = np.array([len(ids) for ids in features["input_ids"]])
    rng = np.random.default_rng(seed)
    start = rng.normal(size=(len(lengths), lengths.max())).astype(np.float32)
    end = rng.normal(size=start.shape).astype(np.float32)
    past_end = np.arange(lengths.max())[None, :] >= lengths[:, None]
    start[past_end] = end[past_end] = -100.0
    return start, end


def main():
    args = parse_args(__doc__.splitlines()[0])
    threads = configure()
    tokenizer = AutoTokenizer.from_pretrained(resolve_checkpoint(OFFLINE_MINILM))
    examples = load_examples(args.data_dir, "validation", SMOKE_EXAMPLES if args.smoke else None, args.seed)
    features = examples.map(prepare_validation_features, batched=True, remove_columns=examples.column_names,
                            fn_kwargs=dict(tokenizer=tokenizer, max_length=MAX_LENGTH, doc_stride=DOC_STRIDE))
    logits = synthetic_logits(features, args.seed)
    inputs = dict(examples=len(examples), windows=len(features), n_best_size=N_BEST, max_answer_length=MAX_ANSWER_LENGTH,
                  max_length=MAX_LENGTH, doc_stride=DOC_STRIDE, logits_shape=list(logits[0].shape), threads=threads)
    show("inputs", inputs)
    figures = {}
    with timer(figures, "original_seconds"): original = original_postprocess(examples, features, logits, tokenizer)
    tracemalloc.start()
    with timer(figures, "ours_seconds"): ours = postprocess_predictions(examples, features, logits, N_BEST, MAX_ANSWER_LENGTH)
    figures["ours_tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    tracemalloc.stop()
    mismatches = [i for i in original if original[i] != ours.get(i)]
    figures.update(ratio=round(figures["original_seconds"] / figures["ours_seconds"], 1), mismatches=len(mismatches),
                   mismatch_examples=[(i, original[i], ours.get(i)) for i in mismatches[:5]])
    show("original vs ours", figures)
    failures = [f"{len(mismatches)} answers differ from the original algorithm"] if mismatches else []
    if not args.smoke and figures["ratio"] < TARGET_RATIO:
        failures.append(f"ratio {figures['ratio']} is below the target {TARGET_RATIO}")
    finish("postprocess", {"smoke": args.smoke, "inputs": inputs, **figures, "target_ratio": TARGET_RATIO}, failures)


if __name__ == "__main__":
    main()
