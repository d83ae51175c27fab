"""Postprocessing: the original course's `postprocess_qa_predictions` (a Python loop over windows and n_best × n_best
start/end pairs, reading each window's row back from the dataset) against `extractive_qa.postprocess.postprocess_predictions`
(vectorised), on the same windows and the same synthetic logits, timed side by side in one run.

    python bench/bench_postprocess.py [--data-dir D] [--examples N] [--smoke]

Windows: SQuAD v1.1 dev (all 10,570 questions; --examples N: a seeded subset of N; --smoke: 300) at max_length 384 /
doc_stride 128 with the MiniLM tokenizer, built with `datasets.map(batched=True)`. Logits: seeded normal noise with
model-like peaks (see `synthetic_logits`), float32, `(windows, longest window)`, padded with -100 past each window like
`Trainer.predict`. Our time is end to end: reading the columns and offsets from the datasets, the search, the answer texts.

Fails (exit 1) if any answer differs from the original's (differences that are only a tie between equal scores, which
the two break differently, are counted separately and explained), or, without --smoke, if original/ours is below 30
(best of 3 runs of each, alternating). Reports the peak RSS of the process around our call and the tracemalloc peak of it.
"""
from common import configure, finish, load_examples, parse_args, show

import collections, gc, resource, time, tracemalloc
import numpy as np
from transformers import AutoTokenizer
from extractive_qa.config import OFFLINE_MINILM, resolve_checkpoint
from extractive_qa.features import prepare_validation_features
from extractive_qa.postprocess import postprocess_predictions, postprocess_with_details

MAX_LENGTH, DOC_STRIDE, N_BEST, MAX_ANSWER_LENGTH = 384, 128, 20, 30
SMOKE_EXAMPLES = 300
REPEATS = 3
TARGET_RATIO = 30.0


def original_course_postprocess(examples, features, raw_predictions, tokenizer, n_best_size=N_BEST,
                                max_answer_length=MAX_ANSWER_LENGTH, squad_v2=False):
    "The course's `postprocess_qa_predictions`, transcribed as written (the progress bar and the print left out)."
    all_start_logits, all_end_logits = raw_predictions
    example_id_to_index = {k: i for i, k in enumerate(examples["id"])}
    features_per_example = collections.defaultdict(list)
    for i, feature in enumerate(features):
        features_per_example[example_id_to_index[feature["example_id"]]].append(i)
    predictions = collections.OrderedDict()
    for example_index, example in enumerate(examples):
        feature_indices = features_per_example[example_index]
        min_null_score = None  # only used if squad_v2 is True
        valid_answers = []
        context = example["context"]
        for feature_index in feature_indices:
            start_logits = all_start_logits[feature_index]
            end_logits = all_end_logits[feature_index]
            offset_mapping = features[feature_index]["offset_mapping"]
            cls_index = features[feature_index]["input_ids"].index(tokenizer.cls_token_id)
            feature_null_score = start_logits[cls_index] + end_logits[cls_index]
            if min_null_score is None or min_null_score < feature_null_score:
                min_null_score = feature_null_score
            start_indexes = np.argsort(start_logits)[-1: -n_best_size - 1: -1].tolist()
            end_indexes = np.argsort(end_logits)[-1: -n_best_size - 1: -1].tolist()
            for start_index in start_indexes:
                for end_index in end_indexes:
                    if (
                            start_index >= len(offset_mapping)
                            or end_index >= len(offset_mapping)
                            or offset_mapping[start_index] is None
                            or offset_mapping[end_index] is None
                    ):
                        continue
                    if end_index < start_index or end_index - start_index + 1 > max_answer_length:
                        continue
                    start_char = offset_mapping[start_index][0]
                    end_char = offset_mapping[end_index][1]
                    valid_answers.append(
                        {
                            "score": start_logits[start_index] + end_logits[end_index],
                            "text": context[start_char: end_char]
                        }
                    )
        if len(valid_answers) > 0:
            best_answer = sorted(valid_answers, key=lambda x: x["score"], reverse=True)[0]
        else:
            best_answer = {"text": "", "score": 0.0}
        if not squad_v2:
            predictions[example["id"]] = best_answer["text"]
        else:
            answer = best_answer["text"] if best_answer["score"] > min_null_score else ""
            predictions[example["id"]] = answer
    return predictions


def synthetic_logits(features, seed: int):
    """Logits shaped like a fine-tuned model's, `(windows, longest)` float32, -100 past each window's end (as Trainer.predict pads).

    Seeded unit normal noise, plus a peak of height 8 (width about 1.5 tokens) on the gold start / end token (on [CLS] in
    windows without the answer) and a decoy peak of height 4 elsewhere: like a real model's, the top candidates cluster
    around a few positions, so many start/end pairs are valid spans (pure noise would make valid pairs rare, and the
    original's work lighter than on real logits)."""
    lengths = np.array([len(ids) for ids in features["input_ids"]])
    rng = np.random.default_rng(seed)
    positions = np.arange(lengths.max())[None, :]
    def peaks(gold):
        decoy = rng.integers(0, lengths)[:, None]
        return (rng.normal(size=(len(lengths), lengths.max())) + 8 * np.exp(-0.5 * ((positions - gold[:, None]) / 1.5) ** 2)
                + 4 * np.exp(-0.5 * ((positions - decoy) / 1.5) ** 2)).astype(np.float32)
    start, end = peaks(np.array(features["start_positions"])), peaks(np.array(features["end_positions"]))
    past_end = positions >= lengths[:, None]
    start[past_end] = end[past_end] = -100.0
    return start, end


def timed(function, *args):
    "The result of `function(*args)` and its wall-clock seconds."
    start = time.perf_counter()
    result = function(*args)
    return result, round(time.perf_counter() - start, 5)


def rss_now_mb() -> float:
    "Resident memory of this process now (MiB), from /proc."
    with open("/proc/self/statm") as statm: return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def peak_rss_so_far_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def classify_mismatches(ids, original, ours, examples, features, logits) -> tuple[list, list]:
    "Split differing answers into ties (the original's answer has exactly our best score) and real differences."
    wanted = set(ids)
    rows = [i for i, example_id in enumerate(features["example_id"]) if example_id in wanted]
    subset = examples.filter(lambda row: row["id"] in wanted)
    details = postprocess_with_details(subset, features.select(rows), (logits[0][rows], logits[1][rows]), N_BEST, MAX_ANSWER_LENGTH)
    ties, real = [], []
    for example_id in ids:
        candidates = details.nbest[example_id]
        tied = any(c["text"] == original[example_id] and c["score"] == candidates[0]["score"] for c in candidates)
        (ties if tied else real).append((example_id, original[example_id], ours[example_id]))
    return ties, real


def main():
    args = parse_args(__doc__.splitlines()[0], lambda parser: parser.add_argument(
        "--examples", type=int, default=None, help="a seeded subset of this many dev questions (default: all)"))
    threads = configure()
    tokenizer = AutoTokenizer.from_pretrained(resolve_checkpoint(OFFLINE_MINILM))
    examples = load_examples(args.data_dir, "validation", SMOKE_EXAMPLES if args.smoke else args.examples, args.seed)
    features = examples.map(prepare_validation_features, batched=True, remove_columns=examples.column_names,
                            fn_kwargs=dict(tokenizer=tokenizer, max_length=MAX_LENGTH, doc_stride=DOC_STRIDE, with_labels=True))
    logits = synthetic_logits(features, args.seed)  # the labels only place the peaks; the course's features have none
    features = features.remove_columns(["start_positions", "end_positions"])
    inputs = dict(examples=len(examples), features=len(features), n_best_size=N_BEST, max_answer_length=MAX_ANSWER_LENGTH,
                  max_length=MAX_LENGTH, doc_stride=DOC_STRIDE, logits_shape=list(logits[0].shape), threads=threads)
    show("inputs", inputs)

    # Our function first, alone, so that the memory figures are its own.
    gc.collect()
    rss_before, peak_before = rss_now_mb(), peak_rss_so_far_mb()
    ours, first_call = timed(postprocess_predictions, examples, features, logits, N_BEST, MAX_ANSWER_LENGTH)
    memory = dict(rss_before_ours_mb=round(rss_before, 1), rss_after_ours_mb=round(rss_now_mb(), 1),
                  peak_rss_before_ours_mb=round(peak_before, 1), peak_rss_after_ours_mb=round(peak_rss_so_far_mb(), 1))
    memory["peak_rss_increase_ours_mb"] = max(0.0, round(peak_rss_so_far_mb() - peak_before, 1))  # 0: below the earlier peak
    tracemalloc.start()  # a separate call: tracing slows the code it watches
    postprocess_predictions(examples, features, logits, N_BEST, MAX_ANSWER_LENGTH)
    memory["ours_tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    tracemalloc.stop()

    original_times, our_times = [], [first_call]
    for repeat in range(REPEATS):  # alternating, so that both see the same machine
        original, seconds = timed(original_course_postprocess, examples, features, logits, tokenizer)
        original_times.append(seconds)
        if repeat < REPEATS - 1:
            ours, seconds = timed(postprocess_predictions, examples, features, logits, N_BEST, MAX_ANSWER_LENGTH)
            our_times.append(seconds)
    figures = dict(original_seconds=min(original_times), ours_seconds=min(our_times), ours_first_call_seconds=first_call,
                   original_all_seconds=original_times, ours_all_seconds=our_times, repeats=REPEATS)
    figures["ratio"] = round(figures["original_seconds"] / figures["ours_seconds"], 1)

    differing = [i for i in original if original[i] != ours.get(i)]
    ties, real = classify_mismatches(differing, original, ours, examples, features, logits) if differing else ([], [])
    figures.update(mismatches=len(real), tie_mismatches=len(ties), mismatch_examples=real[:5], tie_examples=ties[:5],
                   empty_answers=sum(not answer for answer in ours.values()))
    show("original (course) vs ours", figures)
    show("memory of our call", memory)
    if ties: print(f"  {len(ties)} answer(s) differ only by a tie: the original's answer has exactly our best score; the original's "
                   "np.argsort (quicksort) orders equal logits arbitrarily, ours breaks ties deterministically (see 05_postprocessing).")
    failures = [f"{len(real)} answers differ from the original algorithm, e.g. {real[:3]}"] if real else []
    if not args.smoke and figures["ratio"] < TARGET_RATIO:
        failures.append(f"ratio {figures['ratio']} is below the target {TARGET_RATIO}")
    finish("postprocess", {"smoke": args.smoke, "inputs": inputs, **figures, **memory, "target_ratio": TARGET_RATIO}, failures)


if __name__ == "__main__":
    main()
