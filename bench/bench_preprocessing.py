"""Training-window preprocessing: the original course `prepare_train_features` (padded to max_length, while-loop
labelling) against `extractive_qa.features.prepare_train_features` (no padding, bisect labelling), both through
`Dataset.map(batched=True)` on the same examples with the same windows (max_length 384, doc_stride 128).

    python bench/bench_preprocessing.py [--smoke] [--data-dir D] [--repeats 3]
                                        [--original-code ../shared/reference/original_course_code.txt]

The baseline is the course's function as its file defines it: compiled from `original_course_code.txt` at run time
(this project keeps no copy) and called as the course calls it, `Dataset.map(prepare_train_features, batched=True)`,
with the globals it reads (`tokenizer`, `pad_on_right`, `max_length`, `doc_stride`) set as the course sets them, the
sizes being this benchmark's.

Both sides are timed at the same number of processes: `num_proc=1`, then `num_proc=2`, `--repeats` runs each
(default 3, alternating which side goes first; medians; the ratio original/ours is reported for each `num_proc`),
and the `num_proc` scaling (time at 1 process / time at 2) is reported on its own line for each side. Checks that
both produce the same windows (same tokens once the original's padding is dropped), that 2 processes give the same
features as 1, and compares the labels window by window. Every label mismatch is judged against the gold answer; the
run fails if ours is wrong anywhere, or (without --smoke) if the ratio at `num_proc=1` is below the target.
"""
from common import configure, finish, load_examples, parse_args, show

import statistics, sys, time, types
from pathlib import Path
import numpy as np
import datasets
from extractive_qa.config import OFFLINE_MINILM
from extractive_qa.features import prepare_train_features, tokenize_windows
from extractive_qa.training import load_model_and_tokenizer

MAX_LENGTH, DOC_STRIDE = 384, 128
SMOKE_EXAMPLES = 2_000
TARGET_RATIO = 1.0
ORIGINAL_CODE = Path(__file__).resolve().parent.parent.parent / "shared" / "reference" / "original_course_code.txt"


def add_arguments(parser) -> None:
    "Where the original course's code is, and how many runs each side gets."
    parser.add_argument("--repeats", type=int, default=3, help="runs of each side at each num_proc, alternating which "
                                                               "side goes first; medians are reported (smoke: 1)")
    parser.add_argument("--original-code", default=str(ORIGINAL_CODE),
                        help="the original course's code, whose prepare_train_features is the baseline (default: "
                             "../shared/reference/original_course_code.txt beside the project)")


def load_original_course(path: Path, name: str = "prepare_train_features") -> types.ModuleType:
    """A module holding the original course's function `name`, compiled from the course's own file at run time (this
    project keeps no copy), registered in `sys.modules` so that `Dataset.map`'s worker processes find it."""
    if not path.is_file():
        sys.exit(f"the original course code is not at {path}: pass --original-code with the path of original_course_code.txt "
                 "(the course file beside the project, in ../shared/reference/)")
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(f"def {name}(")), None)
    if start is None: sys.exit(f"{path} defines no top-level function {name}()")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].strip() and not lines[i][0].isspace()), len(lines))
    module = types.ModuleType("original_course_code")
    module.__file__ = str(path)
    exec(compile("\n".join([""] * start + lines[start:end]), str(path), "exec"), module.__dict__)  # line numbers kept
    sys.modules[module.__name__] = module
    return module


def set_original_globals(module: types.ModuleType, tokenizer) -> None:
    "The globals the course's function reads, as the course sets them (its sizes replaced by this benchmark's)."
    module.tokenizer, module.pad_on_right = tokenizer, tokenizer.padding_side == "right"
    module.max_length, module.doc_stride = MAX_LENGTH, DOC_STRIDE


def run_map(examples, function, fn_kwargs: dict, num_proc=None):
    "Windows of `examples` through `Dataset.map`, never read from or written to the cache."
    return examples.map(function, batched=True, remove_columns=examples.column_names, num_proc=num_proc,
                        load_from_cache_file=False, fn_kwargs=fn_kwargs, desc=function.__name__)


def column(features, name) -> np.ndarray:
    "A column of scalars as a numpy array."
    return features.data.column(name).to_numpy()


def token_ids(features) -> tuple[np.ndarray, np.ndarray]:
    "All windows' unpadded token ids, concatenated, and each window's length (padding is where attention_mask is 0)."
    ids = features.data.column("input_ids").combine_chunks()
    mask = features.data.column("attention_mask").combine_chunks()
    flat_ids, flat_mask = ids.flatten().to_numpy(), mask.flatten().to_numpy().astype(np.int64)
    starts = mask.offsets.to_numpy()[:-1] - mask.offsets[0].as_py()
    lengths = np.add.reduceat(flat_mask, starts) if len(mask) else np.zeros(0, np.int64)
    return flat_ids[flat_mask.astype(bool)], lengths


def same_windows(original, ours) -> bool:
    "True when both have as many windows, with the same tokens once padding is dropped."
    if len(original) != len(ours): return False
    (ids_a, lengths_a), (ids_b, lengths_b) = token_ids(original), token_ids(ours)
    return np.array_equal(lengths_a, lengths_b) and np.array_equal(ids_a, ids_b)


def window_examples(examples, tokenizer) -> np.ndarray:
    "The example index of every window, in window order (the same windows as both sides produce)."
    def mapping(batch, indices):
        windows = tokenize_windows(batch, tokenizer, MAX_LENGTH, DOC_STRIDE)
        return {"example": [indices[i] for i in windows["overflow_to_sample_mapping"]]}
    return column(examples.map(mapping, batched=True, with_indices=True, remove_columns=examples.column_names,
                               load_from_cache_file=False, desc="window -> example"), "example")


def label_is_right(label: tuple[int, int], offsets, sequence_ids, cls_index: int, start_char: int, end_char: int,
                   context: str, gold: str) -> bool:
    "Whether a (start, end) label is right: the gold text (or its tightest token cover), or CLS if the answer is not in the window."
    context_tokens = [k for k, s in enumerate(sequence_ids) if s == 1]
    first, last = context_tokens[0], context_tokens[-1]
    inside = offsets[first][0] <= start_char and offsets[last][1] >= end_char
    if label == (cls_index, cls_index): return not inside
    start, end = label
    if not (inside and first <= start <= end <= last): return False
    if context[offsets[start][0]:offsets[end][1]].strip() == gold.strip(): return True
    tightest_start = max(k for k in context_tokens if offsets[k][0] <= start_char)
    tightest_end = min(k for k in context_tokens if offsets[k][1] >= end_char)
    return (start, end) == (tightest_start, tightest_end)


def judge_mismatches(examples, tokenizer, mismatches: np.ndarray, original_labels, our_labels) -> dict:
    "Count the mismatched windows whose original label is wrong and whose label from ours is wrong; keep a few samples."
    counts = dict(mismatches_where_original_is_wrong=0, mismatches_where_ours_is_wrong=0, mismatch_samples=[])
    if not len(mismatches): return counts
    window_to_example = window_examples(examples, tokenizer)
    first_window = {e: int(np.searchsorted(window_to_example, e)) for e in set(window_to_example[mismatches].tolist())}
    for window in mismatches.tolist():
        example = int(window_to_example[window])
        row = examples[example]
        encoded = tokenizer(row["question"].lstrip(), row["context"], truncation="only_second", max_length=MAX_LENGTH,
                            stride=DOC_STRIDE, return_overflowing_tokens=True, return_offsets_mapping=True,
                            padding="max_length")
        local = window - first_window[example]
        ids, offsets, sequence_ids = encoded["input_ids"][local], encoded["offset_mapping"][local], encoded.sequence_ids(local)
        start_char, gold = row["answers"]["answer_start"][0], row["answers"]["text"][0]
        judge = lambda label: label_is_right(label, offsets, sequence_ids, ids.index(tokenizer.cls_token_id),
                                             start_char, start_char + len(gold), row["context"], gold)
        original, ours = tuple(original_labels[window]), tuple(our_labels[window])
        original_right, ours_right = judge(original), judge(ours)
        counts["mismatches_where_original_is_wrong"] += not original_right
        counts["mismatches_where_ours_is_wrong"] += not ours_right
        if len(counts["mismatch_samples"]) < 5:
            counts["mismatch_samples"].append(dict(window=window, example_id=row["id"], gold=gold, original=[int(v) for v in original],
                                                   ours=[int(v) for v in ours], original_right=original_right, ours_right=ours_right))
    return counts


def labels(features) -> np.ndarray:
    "The (start, end) labels of every window as an (n, 2) array."
    return np.stack([column(features, "start_positions"), column(features, "end_positions")], axis=1)


def main():
    args = parse_args(__doc__.splitlines()[0], add_arguments)
    original_course = load_original_course(Path(args.original_code))
    threads = configure()
    datasets.disable_caching()
    limit = SMOKE_EXAMPLES if args.smoke else None
    examples = load_examples(args.data_dir, "train", limit, args.seed)
    _, tokenizer = load_model_and_tokenizer(OFFLINE_MINILM)
    set_original_globals(original_course, tokenizer)
    sides = {"original": (original_course.prepare_train_features, {}), "ours": (prepare_train_features, dict(tokenizer=tokenizer))}
    inputs = dict(smoke=args.smoke, data_dir=args.data_dir, split="train (SQuAD v1.1)", examples=len(examples),
                  original_code=str(Path(args.original_code).resolve()),
                  tokenizer=OFFLINE_MINILM, max_length=MAX_LENGTH, doc_stride=DOC_STRIDE, threads=threads)
    show("inputs", inputs)

    for function, fn_kwargs in sides.values():  # untimed warm-up of both sides
        run_map(examples.select(range(min(16, len(examples)))), function, fn_kwargs)
    repeats = 1 if args.smoke else args.repeats
    runs, results = {}, {}
    for num_proc in (1, 2):  # both sides at the same number of processes, alternating which goes first, `repeats` runs each
        for repeat in range(repeats):
            for side, (function, fn_kwargs) in list(sides.items())[::1 if repeat % 2 == 0 else -1]:
                began = time.perf_counter()
                results[side, num_proc] = run_map(examples, function, fn_kwargs, num_proc=num_proc if num_proc > 1 else None)
                runs.setdefault(f"{side}_seconds_num_proc_{num_proc}", []).append(round(time.perf_counter() - began, 3))
    seconds = {key: round(statistics.median(values), 3) for key, values in runs.items()}  # medians
    ratios = {f"ratio_num_proc_{n}": round(seconds[f"original_seconds_num_proc_{n}"] / seconds[f"ours_seconds_num_proc_{n}"], 3)
              for n in (1, 2)}
    scaling = {f"{side}_num_proc_2_speedup": round(seconds[f"{side}_seconds_num_proc_1"] / seconds[f"{side}_seconds_num_proc_2"], 3)
               for side in ("original", "ours")}
    ratio = ratios["ratio_num_proc_1"]

    original, ours = results["original", 1], results["ours", 1]
    original_labels, our_labels = labels(original), labels(ours)
    windows_match = same_windows(original, ours)
    processes_agree = all(same_windows(results[side, 1], results[side, 2])
                          and np.array_equal(labels(results[side, 1]), labels(results[side, 2])) for side in ("original", "ours"))
    mismatches = np.flatnonzero((original_labels != our_labels).any(axis=1)) if windows_match else np.zeros(0, int)
    judged = judge_mismatches(examples, tokenizer, mismatches, original_labels, our_labels)
    per_second = {f"{side}_examples_per_second_num_proc_{n}": round(len(examples) / seconds[f"{side}_seconds_num_proc_{n}"], 1)
                  for side in ("original", "ours") for n in (1, 2)}
    figures = dict(**seconds, runs_seconds=runs, repeats=repeats, **per_second, **ratios, **scaling, original_features=len(original), our_features=len(ours),
                   same_windows=windows_match, num_proc_2_matches_num_proc_1=processes_agree,
                   label_mismatches=int(len(mismatches)), **judged)
    for n in (1, 2):
        show(f"num_proc={n}: original (padding=max_length, while loops) vs ours (no padding, bisect)",
             {k: figures[k] for k in (f"original_seconds_num_proc_{n}", f"ours_seconds_num_proc_{n}",
                                      f"original_examples_per_second_num_proc_{n}", f"ours_examples_per_second_num_proc_{n}",
                                      f"ratio_num_proc_{n}")})
    show("num_proc scaling (seconds at num_proc=1 / seconds at num_proc=2, same side)", scaling)
    show("comparison", {k: v for k, v in figures.items() if k in ("original_features", "our_features", "same_windows",
         "num_proc_2_matches_num_proc_1", "label_mismatches", "mismatches_where_original_is_wrong",
         "mismatches_where_ours_is_wrong", "mismatch_samples")})
    print(f"\nRATIO original/ours at num_proc=1 = {ratios['ratio_num_proc_1']} (target >= {TARGET_RATIO}); "
          f"at num_proc=2 = {ratios['ratio_num_proc_2']}")
    print(f"SCALING num_proc=1 -> 2 (seconds at 1 / seconds at 2; above 1 means 2 processes help): ours "
          f"{scaling['ours_num_proc_2_speedup']}, original {scaling['original_num_proc_2_speedup']}, {threads} CPU threads")

    failures = []
    if not windows_match: failures.append("the two sides produced different windows")
    if not processes_agree: failures.append("num_proc=2 gives other features than num_proc=1")
    if judged["mismatches_where_ours_is_wrong"]: failures.append(f"{judged['mismatches_where_ours_is_wrong']} label(s) of ours are wrong")
    if not args.smoke and ratio < TARGET_RATIO: failures.append(f"ratio at num_proc=1 {ratio} < target {TARGET_RATIO}")
    finish("preprocessing", dict(inputs=inputs, **figures, ratio=ratio, target_ratio=TARGET_RATIO), failures)


if __name__ == "__main__":
    main()
