"""Helpers shared by the benchmarks: offline environment, arguments, threads, timing, memory and the result JSON."""
from __future__ import annotations
import os

# Offline and quiet before transformers/datasets are imported by anyone.
for _name, _value in (("HF_HUB_OFFLINE", "1"), ("HF_DATASETS_OFFLINE", "1"), ("TOKENIZERS_PARALLELISM", "false")):
    os.environ.setdefault(_name, _value)

import argparse, json, resource, sys, time
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DATA_DIR_VARIABLE = "EXTRACTIVE_QA_DATA_DIR"


def parse_args(description: str, add_arguments=None) -> argparse.Namespace:
    "Parse `--smoke`, `--data-dir` and whatever `add_arguments(parser)` adds; resolve the data folder."
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks plumbing and correctness only")
    parser.add_argument("--data-dir", default=os.environ.get(DATA_DIR_VARIABLE),
                        help=f"folder holding squad_v1/ (default: ${DATA_DIR_VARIABLE})")
    parser.add_argument("--seed", type=int, default=42)
    if add_arguments: add_arguments(parser)
    args = parser.parse_args()
    if not args.data_dir or not Path(args.data_dir).expanduser().is_dir():
        parser.error(f"no data folder: pass --data-dir or set {DATA_DIR_VARIABLE} (got {args.data_dir!r})")
    return args


def configure(threads: int | None = None) -> int:
    "Give PyTorch `threads` threads (default: one per CPU core), quiet loading reports and progress bars; return the count."
    import datasets, torch, transformers
    threads = threads or os.cpu_count() or 1
    torch.set_num_threads(threads)
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    datasets.disable_progress_bars()
    print(f"torch threads: {torch.get_num_threads()} (os.cpu_count()={os.cpu_count()})")
    return threads


def load_examples(data_dir: str, split: str, limit: int | None, seed: int):
    "`limit` rows of a SQuAD v1.1 split (a seeded random subset, or all rows in order), checked like the package does."
    from extractive_qa.data import check_squad, load_squad, take_examples
    rows = load_squad(data_dir, splits=(split,), check=False)[split]
    return check_squad(take_examples(rows, limit, seed), name=split)


def hardware() -> str:
    "The CPU model name and the number of CPUs this process sees, e.g. 'AMD EPYC, 2 CPUs'."
    from extractive_qa.config import cpu_description
    return f"{cpu_description()['model'] or 'unknown CPU'}, {os.cpu_count()} CPUs"


def peak_rss_mb() -> dict:
    "Peak resident memory (MiB) of this process and of its finished children (worker processes)."
    to_mb = lambda usage: round(usage.ru_maxrss / 1024, 1)  # Linux reports KiB
    return dict(peak_rss_mb=to_mb(resource.getrusage(resource.RUSAGE_SELF)),
                peak_rss_children_mb=to_mb(resource.getrusage(resource.RUSAGE_CHILDREN)))


def show(title: str, values: dict) -> None:
    "Print a titled block of `name: value` lines."
    print(f"\n== {title}")
    for name, value in values.items(): print(f"  {name}: {value}")


def finish(name: str, result: dict, failures: list[str]) -> None:
    "Print the `RESULT` line, write `bench/results/<name>.json` atomically, and exit 1 if there are `failures`."
    from extractive_qa.config import write_json_atomic
    result = {"benchmark": name, **result, **peak_rss_mb(), "failures": failures, "passed": not failures}
    path = write_json_atomic(result, RESULTS_DIR / f"{name}.json")
    for failure in failures: print(f"FAILED: {failure}", file=sys.stderr)
    print(f"\nwritten: {path}")
    print("RESULT " + json.dumps(result, ensure_ascii=False), flush=True)
    sys.exit(1 if failures else 0)
