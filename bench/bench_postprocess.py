"""Postprocessing: the package's vectorised n-best span search (`postprocess_predictions`, built in
`94_appendix_fast_span_search`) against the lesson's plain-loop reference (`postprocess_predictions_loop`, from
`05_postprocessing`), both importable from `extractive_qa.postprocess`, on the same windows and synthetic logits.

    python bench/bench_postprocess.py [--data-dir D] [--examples N] [--smoke]

Windows: SQuAD v1.1 dev (all 10,570 questions; --examples N: a seeded subset of N; --smoke: 300) at max_length 384 /
doc_stride 128 with the MiniLM tokenizer, built with `datasets.map(batched=True)`. Logits: seeded normal noise with
model-like peaks (see `synthetic_logits`), float32, `(windows, longest window)`, padded with -100 past each window like
`Trainer.predict`. n_best_size 20, max_answer_length 30.

Both calls are timed end to end from the same inputs (examples and features as `datasets.Dataset`, logits as arrays):
each reads the columns it needs (the loop as Python lists, the vectorised search through Arrow), searches, and returns
the answer texts. `loop_reading_offsets_seconds` is what the loop pays to read `offset_mapping` as Python lists (timed
alone); `gc_off.ratio_without_reading_offsets` leaves it out of the loop's time.

Times are CPU seconds of this process (`time.process_time`, best of 3 runs of each, alternating): on a shared machine
they measure what the code costs, where wall-clock seconds also measure the other jobs. Wall-clock seconds are reported
too (`*_wall_seconds`, `wall_ratio`). The runs keep Python's garbage collector on, as in a real evaluation; much of the
loop's time is the collector walking the millions of Python lists its offsets become. `gc_off` repeats the comparison
once with the collector off (as `timeit` does), which isolates the work itself.

Fails (exit 1) if any answer differs from the loop's (SQuAD 1.1 mode, and SQuAD 2.0 mode with the null rule), or, without
--smoke, if loop/ours (CPU seconds, collector on) is below 20. Also reports the tracemalloc peak of our call.
"""
from common import configure, finish, load_examples, parse_args, show

import gc, time, tracemalloc
import numpy as np
from transformers import AutoTokenizer
from extractive_qa.config import OFFLINE_MINILM, resolve_checkpoint
from extractive_qa.features import prepare_validation_features
from extractive_qa.postprocess import _column, postprocess_predictions, postprocess_predictions_loop

MAX_LENGTH, DOC_STRIDE, N_BEST, MAX_ANSWER_LENGTH = 384, 128, 20, 30
SMOKE_EXAMPLES = 300
REPEATS = 3
TARGET_RATIO = 20.0


def synthetic_logits(features, seed: int):
    """Logits shaped like a fine-tuned model's, `(windows, longest)` float32, -100 past each window's end (as Trainer.predict pads).

    Seeded unit normal noise, plus a peak of height 8 (width about 1.5 tokens) on the gold start / end token (on [CLS] in
    windows without the answer) and a decoy peak of height 4 elsewhere: like a real model's, the top candidates cluster
    around a few positions, so many start/end pairs are valid spans (pure noise would make valid pairs rare, and the
    loop's work lighter than on real logits)."""
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


def timed(function, *args, **kwargs):
    "The result of `function(*args, **kwargs)`, the CPU seconds of this process and the wall-clock seconds it took."
    cpu, wall = time.process_time(), time.perf_counter()
    result = function(*args, **kwargs)
    return result, round(time.process_time() - cpu, 5), round(time.perf_counter() - wall, 5)


def differences(reference: dict, ours: dict) -> list:
    "`(id, reference answer, our answer)` for every question where the two differ."
    return [(i, reference[i], ours.get(i)) for i in reference if reference[i] != ours.get(i)]


def main():
    args = parse_args(__doc__.splitlines()[0], lambda parser: parser.add_argument(
        "--examples", type=int, default=None, help="a seeded subset of this many dev questions (default: all)"))
    threads = configure()
    tokenizer = AutoTokenizer.from_pretrained(resolve_checkpoint(OFFLINE_MINILM))
    examples = load_examples(args.data_dir, "validation", SMOKE_EXAMPLES if args.smoke else args.examples, args.seed)
    features = examples.map(prepare_validation_features, batched=True, remove_columns=examples.column_names,
                            fn_kwargs=dict(tokenizer=tokenizer, max_length=MAX_LENGTH, doc_stride=DOC_STRIDE, with_labels=True))
    logits = synthetic_logits(features, args.seed)  # the labels only place the peaks
    features = features.remove_columns(["start_positions", "end_positions"])
    inputs = dict(examples=len(examples), features=len(features), n_best_size=N_BEST, max_answer_length=MAX_ANSWER_LENGTH,
                  max_length=MAX_LENGTH, doc_stride=DOC_STRIDE, logits_shape=list(logits[0].shape), threads=threads)
    show("inputs", inputs)
    settings = dict(n_best_size=N_BEST, max_answer_length=MAX_ANSWER_LENGTH)

    ours, first_call, _ = timed(postprocess_predictions, examples, features, logits, **settings)
    tracemalloc.start()  # a separate call: tracing slows the code it watches
    postprocess_predictions(examples, features, logits, **settings)
    ours_peak_mb = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    tracemalloc.stop()

    times = {"loop": [], "ours": [], "loop_wall": [], "ours_wall": []}
    for repeat in range(REPEATS):  # alternating, so that both see the same machine
        loop, cpu, wall = timed(postprocess_predictions_loop, examples, features, logits, **settings)
        times["loop"].append(cpu); times["loop_wall"].append(wall)
        ours, cpu, wall = timed(postprocess_predictions, examples, features, logits, **settings)
        times["ours"].append(cpu); times["ours_wall"].append(wall)
    _, reading, _ = timed(_column, features, "offset_mapping")  # what the loop pays to get its offsets as Python lists
    figures = dict(loop_seconds=min(times["loop"]), ours_seconds=min(times["ours"]), ours_first_call_seconds=first_call,
                   loop_wall_seconds=min(times["loop_wall"]), ours_wall_seconds=min(times["ours_wall"]),
                   all_seconds=times, repeats=REPEATS)
    figures["ratio"] = round(figures["loop_seconds"] / figures["ours_seconds"], 1)
    figures["wall_ratio"] = round(figures["loop_wall_seconds"] / figures["ours_wall_seconds"], 1)
    figures["loop_reading_offsets_seconds"] = reading
    figures["original_seconds"] = figures["loop_seconds"]  # the old key, read by index.ipynb until it says loop_seconds
    gc.disable()
    try:
        loop_gc_off = timed(postprocess_predictions_loop, examples, features, logits, **settings)[1]
        ours_gc_off = timed(postprocess_predictions, examples, features, logits, **settings)[1]
        reading_gc_off = timed(_column, features, "offset_mapping")[1]
    finally:
        gc.enable()
    figures["gc_off"] = dict(loop_seconds=loop_gc_off, ours_seconds=ours_gc_off, ratio=round(loop_gc_off / ours_gc_off, 1),
                             loop_reading_offsets_seconds=reading_gc_off,
                             ratio_without_reading_offsets=round((loop_gc_off - reading_gc_off) / ours_gc_off, 1))

    real = differences(loop, ours)
    v2_settings = dict(settings, version_2=True, null_score_diff_threshold=0.0)
    ours_v2 = postprocess_predictions(examples, features, logits, **v2_settings)
    real_v2 = differences(postprocess_predictions_loop(examples, features, logits, **v2_settings), ours_v2)
    figures.update(mismatches=len(real), mismatches_v2=len(real_v2), mismatch_examples=(real + real_v2)[:5],
                   empty_answers=sum(not answer for answer in ours.values()),
                   empty_answers_v2=sum(not answer for answer in ours_v2.values()))
    show("loop (reference) vs ours", figures)
    show("memory of our call", dict(ours_tracemalloc_peak_mb=ours_peak_mb))
    failures = [f"{len(real)} SQuAD 1.1 answers differ from the loop's, e.g. {real[:3]}"] if real else []
    if real_v2: failures.append(f"{len(real_v2)} SQuAD 2.0 answers differ from the loop's, e.g. {real_v2[:3]}")
    if not args.smoke and figures["ratio"] < TARGET_RATIO:
        failures.append(f"ratio {figures['ratio']} is below the target {TARGET_RATIO}")
    finish("postprocess", {"smoke": args.smoke, "inputs": inputs, **figures, "ours_tracemalloc_peak_mb": ours_peak_mb,
                           "target_ratio": TARGET_RATIO}, failures)


if __name__ == "__main__":
    main()
