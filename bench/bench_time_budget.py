"""F1 against minutes of training for settings of the cpu profile, each trained within the same time budget on this machine.

    python bench/bench_time_budget.py [--smoke] [--data-dir D] [--minutes M] [--variants NAME=FIELD:VALUE,...;...]

Each variant is `extractive-qa train --profile cpu --max-train-minutes M` (the installed console script, a fresh process
each) with its changes to the profile, run one after another on the same machine and threads. A run evaluates on the
profile's 1,000 held-out questions every `eval_steps` steps, so each gives a curve of F1 against minutes of training
(evaluation excluded); the figure `bench/results/time_budget.png` draws them together, and the JSON keeps every point,
the steps reached, the windows seen, and the CPU. With --smoke: the smoke profile, a budget of a few seconds, two
variants (plumbing only).

Reported only: the profile's settings are chosen from it (the note of the issue says which and why).
"""
from common import RESULTS_DIR, finish, hardware, parse_args, show

import json, os, subprocess, sys, tempfile, time
from pathlib import Path

DEFAULT_VARIANTS = "dropout 0.1 (the model's own)=;dropout 0=dropout:0"
SMOKE = dict(profile="smoke", minutes=0.3, variants="default=;dropout 0=dropout:0",
             extra=["--max-train-examples", "64", "--max-eval-examples", "16", "--eval-steps", "2", "--batch-size", "8"])


def add_arguments(parser) -> None:
    parser.add_argument("--minutes", type=float, default=10.0, help="the time budget of every variant (max_train_minutes)")
    parser.add_argument("--variants", default=DEFAULT_VARIANTS,
                        help="';'-separated NAME=FIELD:VALUE,FIELD:VALUE (QAConfig fields, as train options)")
    parser.add_argument("--keep", default=None, help="a folder to keep the runs in (default: a temporary one)")


def parse_variants(text: str) -> dict[str, list[str]]:
    "`{name: train options}` from 'NAME=FIELD:VALUE,...;...'."
    variants = {}
    for item in filter(None, (part.strip() for part in text.split(";"))):
        name, _, changes = item.partition("=")
        options = []
        for change in filter(None, changes.split(",")):
            field, _, value = change.partition(":")
            options += [f"--{field.strip().replace('_', '-')}", value.strip()]
        variants[name.strip()] = options
    return variants


def train(script: Path, profile: str, minutes: float, options: list[str], output: Path, data_dir: str) -> dict:
    "One budgeted run; its metrics.json and eval_curve.json, with the wall time of the whole command."
    began = time.perf_counter()
    command = [str(script), "train", "--profile", profile, "--data-dir", data_dir, "--output-dir", str(output),
               "--max-train-minutes", str(minutes), *options]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0: raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    metrics = json.loads((output / "metrics.json").read_text())
    return dict(command=" ".join(command[1:]), wall_seconds=round(time.perf_counter() - began, 1),
                curve=json.loads((output / "eval_curve.json").read_text()),
                **{key: metrics.get(key) for key in ("exact_match", "f1", "train_steps", "train_seconds", "windows_seen",
                                                       "train_features", "time_budget_minutes", "bf16_check", "hardware", "cpu")})


def plot(runs: dict, minutes: float, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, run in runs.items():
        ax.plot([p["train_seconds"] / 60 for p in run["curve"]], [p["f1"] for p in run["curve"]], "o-", label=f"{name}: F1 {run['f1']:.1f}")
    ax.axvline(minutes, color="gray", ls=":", label=f"budget {minutes:g} min")
    ax.set(xlabel="minutes of training (evaluation excluded)", ylabel="F1 on held-out questions",
           title=f"cpu profile variants within {minutes:g} minutes ({hardware()})")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], add_arguments)
    profile, minutes, variants, extra = ("cpu", args.minutes, args.variants, [])
    if args.smoke: profile, minutes, variants, extra = SMOKE["profile"], SMOKE["minutes"], SMOKE["variants"], SMOKE["extra"]
    variants = parse_variants(variants)
    script = Path(sys.executable).with_name("extractive-qa")
    inputs = dict(smoke=args.smoke, profile=profile, minutes=minutes, variants=variants, hardware=hardware(),
                  threads=os.cpu_count())
    show("inputs", inputs)
    runs, failures = {}, []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(args.keep or scratch)
        for name, options in variants.items():
            output = folder / name.replace(" ", "_").replace("(", "").replace(")", "").replace("'", "")
            runs[name] = train(script, profile, minutes, options + extra, output, args.data_dir)
            run = runs[name]
            print(f"{name}: F1 {run['f1']:.2f}, EM {run['exact_match']:.2f}, {run['train_steps']} steps "
                  f"({run['windows_seen']} windows) in {run['train_seconds'] / 60:.2f} min of training, {run['wall_seconds'] / 60:.1f} min wall",
                  flush=True)
            if run["train_seconds"] > minutes * 60: failures.append(f"{name}: trained {run['train_seconds']} s, over the budget")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    plot(runs, minutes, RESULTS_DIR / "time_budget.png")
    finish("time_budget", dict(inputs=inputs, runs=runs, figure=str(RESULTS_DIR / "time_budget.png")), failures)


if __name__ == "__main__":
    main()
