"""Where one training step's time goes on this machine: forward, backward and optimizer; dropout on and off; bf16 against fp32.

    python bench/bench_training_step.py [--smoke] [--data-dir D] [--steps N] [--repeats N] [--batch-size B]

The cpu profile's model (the offline MiniLM with a fresh span head), its window length and stride and its batch size,
on the same batches of real SQuAD training windows (padded to each batch's longest window, as `WindowCollator` does).
Four variants: {fp32, bf16 autocast} x {dropout 0.1 (the model's own), dropout 0}. Each variant runs `--steps` timed
steps after two untimed ones, `--repeats` times, variants alternating; the medians are reported, split into forward,
backward and optimizer (AdamW) seconds. bf16 is measured only where the CPU has AVX512-BF16 or AMX (or on a GPU).

Reported only (the choice of the cpu profile's settings reads it); fails only if a step produces a non-finite loss.
"""
from common import configure, finish, hardware, load_examples, parse_args, show

import statistics, time
from contextlib import nullcontext
import torch
from extractive_qa.config import OFFLINE_MINILM, cpu_description, cpu_supports_bf16, get_config
from extractive_qa.features import WindowCollator, prepare_train_features
from extractive_qa.training import load_model_and_tokenizer, set_dropout

SIZES = {False: dict(steps=6, repeats=3, batch_size=32, train_examples=600),
         True: dict(steps=1, repeats=2, batch_size=4, train_examples=16)}


def add_arguments(parser) -> None:
    for name in SIZES[False]: parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=None)


def batches(args, sizes, tokenizer, config) -> list[dict]:
    "`steps + 2` batches of the cpu profile's training windows, each padded to its longest window."
    examples = load_examples(args.data_dir, "train", sizes["train_examples"], args.seed)
    features = examples.map(prepare_train_features, batched=True, remove_columns=examples.column_names,
                            fn_kwargs=dict(tokenizer=tokenizer, max_length=config.max_length, doc_stride=config.doc_stride))
    collate, size = WindowCollator(tokenizer), sizes["batch_size"]
    rows = [features[i] for i in range(len(features))]
    needed = (sizes["steps"] + 2) * size
    rows = (rows * (needed // len(rows) + 1))[:needed]
    return [collate(rows[k:k + size]) for k in range(0, needed, size)]


def timed_steps(model, optimizer, data: list[dict], bf16: bool) -> dict:
    "Seconds of forward, backward and optimizer per step (means over the timed steps), after two untimed steps."
    model.train()
    autocast = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else nullcontext()
    parts = {"forward": [], "backward": [], "optimizer": []}
    losses = []
    for index, batch in enumerate(data):
        began = time.perf_counter()
        with autocast: loss = model(**batch).loss
        forwarded = time.perf_counter()
        loss.backward()
        backwarded = time.perf_counter()
        optimizer.step(); optimizer.zero_grad(set_to_none=True)
        done = time.perf_counter()
        losses.append(loss.item())
        if index < 2: continue
        for name, seconds in zip(parts, (forwarded - began, backwarded - forwarded, done - backwarded)): parts[name].append(seconds)
    figures = {name: statistics.mean(values) for name, values in parts.items()}
    figures["step"] = sum(figures.values())
    figures["finite"] = all(torch.isfinite(torch.tensor(losses)).tolist())
    return figures


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], add_arguments)
    sizes = {name: getattr(args, name) or value for name, value in SIZES[args.smoke].items()}
    threads = configure()
    config = get_config("cpu", data_dir=args.data_dir)
    _, tokenizer = load_model_and_tokenizer(OFFLINE_MINILM)
    data = batches(args, sizes, tokenizer, config)
    precisions = ["fp32"] + (["bf16"] if cpu_supports_bf16() else [])
    variants = [(precision, dropout) for precision in precisions for dropout in (None, 0.0)]
    inputs = dict(smoke=args.smoke, model=OFFLINE_MINILM, max_length=config.max_length, doc_stride=config.doc_stride,
                  **sizes, mean_batch_tokens=round(statistics.mean(b["input_ids"].shape[1] for b in data), 1),
                  threads=threads, hardware=hardware(), cpu=cpu_description(), variants=[f"{p}, dropout {d}" for p, d in variants])
    show("inputs", inputs)
    runs = {variant: [] for variant in variants}
    for repeat in range(sizes["repeats"]):
        for variant in (variants if repeat % 2 == 0 else variants[::-1]):   # alternate the order between repeats
            precision, dropout = variant
            torch.manual_seed(args.seed)
            model, _ = load_model_and_tokenizer(OFFLINE_MINILM)
            if dropout is not None: set_dropout(model, dropout)
            optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
            runs[variant].append(timed_steps(model, optimizer, data, precision == "bf16"))
    table, failures = {}, []
    for (precision, dropout), figures in runs.items():
        name = f"{precision}, dropout {'model default (0.1)' if dropout is None else dropout}"
        table[name] = {part: round(statistics.median(f[part] for f in figures), 3) for part in ("forward", "backward", "optimizer", "step")}
        if not all(f["finite"] for f in figures): failures.append(f"{name}: a non-finite loss")
    show("median seconds per step", {name: row for name, row in table.items()})
    base = table["fp32, dropout model default (0.1)"]["step"]
    speedups = {name: round(base / row["step"], 3) for name, row in table.items()}
    show("speed-up against fp32 with dropout (step time ratio)", speedups)
    finish("training_step", dict(inputs=inputs, seconds=table, speedup_vs_fp32_dropout=speedups), failures)


if __name__ == "__main__":
    main()
