"""Inference: `QuestionAnswerer` (PyTorch as `from_pretrained` gives it, fp32, bf16; ONNX fp32, int8) against the real Hugging
Face question-answering pipeline (transformers 5.2.0, the last release that has it), same model, questions, threads,
windows (max_seq_len/doc_stride) and max_answer_len, top 1.

    python bench/bench_inference.py [--smoke] [--data-dir D] [--model M] [--questions N] [--repetitions N]
                                    [--threads 2] [--pipeline-batch-sizes 1,32] [--sides pytorch_fp32,onnx_fp32,...]
                                    [--venv bench/.venv-pipeline (or $EXTRACTIVE_QA_PIPELINE_VENV)]

The pipeline runs in its own virtual environment (`--venv`), which the first run creates (python -m venv, then
pip install torch==2.13.0, then transformers==5.2.0 "huggingface_hub<2" "tokenizers<=0.23.0") and later runs reuse;
`bench/pipeline_baseline.py` runs it in a subprocess that loads the model (untimed), warms up, and times one call per
batch size. Our sides load once and warm up too. Each repetition runs every side once on all the questions, in an order
that reverses every repetition; the report gives medians: questions/s of each side, its ratio against the pipeline at
its best batch size, its share of answers identical to that pipeline's, and SQuAD EM/F1 of every side against the gold
answers. Writes bench/results/inference.json. Fails only on plumbing errors (unanswered questions, answers that are not
the span they point at, a pipeline that is not transformers 5.2.0); the targets are reported, not enforced.

PyTorch sides: `pytorch_default` is `QuestionAnswerer.from_pretrained(model_dir)` untouched (precision "auto": bf16 where
the CPU has AVX512-BF16/AMX and the model's qa_settings.json says its bf16 answers passed the check at training, else
fp32); `pytorch_fp32` and `pytorch_bf16` force one precision. Targets (issue 19): the default path >= 2x the pipeline
with >= 97% identical answers and F1 within 0.5; the best path offered (bf16 or ONNX int8) >= 3x with an F1 loss <= 1.
"""
from common import configure, finish, hardware, load_examples, parse_args, show
from pipeline_venv import PIPELINE_VERSION, VENV_VARIABLE, default_venv, pipeline_python

import json, os, statistics, subprocess, sys, tempfile, time
from pathlib import Path
from transformers import set_seed
from extractive_qa.config import OFFLINE_MINILM, course_path, cpu_description
from extractive_qa.data import take_examples
from extractive_qa.deployment import export_onnx
from extractive_qa.inference import QuestionAnswerer
from extractive_qa.config import read_qa_settings
from extractive_qa.scoring import f1_score, score_predictions
from extractive_qa.training import load_model_and_tokenizer

HERE = Path(__file__).resolve().parent
MODEL_CANDIDATES = ("runs/cpu/model",)
DEFAULT_WINDOWS = dict(max_length=384, doc_stride=128, max_answer_length=30)
SIDES = {"pytorch_default": None, "pytorch_fp32": None, "pytorch_bf16": None, "onnx_fp32": dict(int8=False),
         "onnx_int8": dict(int8=True), "onnx_int8_fused": dict(int8=True, fuse=True), "onnx_fp32_fused": dict(int8=False, fuse=True)}
TORCH_PRECISION = {"pytorch_default": None, "pytorch_fp32": "fp32", "pytorch_bf16": "bf16"}   # None: from_pretrained's own ("auto")
SIZES = {False: dict(questions=500, repetitions=3, sides="pytorch_default,pytorch_fp32,pytorch_bf16,onnx_fp32,onnx_int8"),
         True: dict(questions=12, repetitions=1, sides="pytorch_default,pytorch_fp32,onnx_fp32,onnx_int8")}
TARGETS = dict(default_ratio=2.0, default_identical_percent=97.0, default_max_f1_change=0.5, best_ratio=3.0, best_max_f1_loss=1.0)
BEST_CANDIDATES = ("pytorch_bf16", "onnx_int8", "onnx_int8_fused")


def add_arguments(parser) -> None:
    "The model folder, the workload, the threads, the pipeline's batch sizes and environment, and our sides."
    parser.add_argument("--model", default=None, help=f"fine-tuned model folder (default: the first of {', '.join(MODEL_CANDIDATES)} "
                                                      "that exists, else an untrained head on the offline MiniLM)")
    parser.add_argument("--questions", type=int, default=None, help="random dev questions (default 500; smoke 12)")
    parser.add_argument("--repetitions", type=int, default=None, help="timed runs of each side (default 3; smoke 1)")
    parser.add_argument("--threads", type=int, default=2, help="threads of every side (torch and ONNX Runtime)")
    parser.add_argument("--pipeline-batch-sizes", default="1,32", help="batch sizes tried for the pipeline; its best counts")
    parser.add_argument("--sides", default=None, help=f"our sides, from {', '.join(SIDES)} (default: {SIZES[False]['sides']}; "
                                                      f"smoke: {SIZES[True]['sides']})")
    parser.add_argument("--venv", default=str(default_venv()),
                        help=f"virtual environment of the pipeline (default: ${VENV_VARIABLE}, else bench/.venv-pipeline)")


def model_folder(requested: str | None, seed: int, scratch: str) -> tuple[str, str]:
    "The model folder to use and a note saying which: `requested`, a trained cpu model, or an untrained MiniLM head."
    if requested and (Path(requested) / "config.json").is_file(): return requested, f"fine-tuned model from {requested}"
    for candidate in ([] if requested else MODEL_CANDIDATES):    # runs/cpu/model of the course folder, wherever this runs from
        if (course_path(candidate) / "config.json").is_file(): return str(course_path(candidate)), f"fine-tuned model from {candidate}"
    set_seed(seed)
    model, tokenizer = load_model_and_tokenizer(OFFLINE_MINILM)
    model.save_pretrained(scratch); tokenizer.save_pretrained(scratch)
    return scratch, (f"FALLBACK: no model at {requested or ' or '.join(MODEL_CANDIDATES)}, so every side uses the offline "
                     f"MiniLM with a freshly initialised (untrained) QA head, torch seed {seed}; answers are meaningless, "
                     "timings are not")


def window_settings(folder: str) -> dict:
    "Windows and answer length of the model (its qa_settings.json, else the pipeline's defaults), used by every side."
    saved = read_qa_settings(folder)
    return {name: saved.get(name, value) for name, value in DEFAULT_WINDOWS.items()}


def build_sides(folder: str, names: list[str], settings: dict, scratch: Path) -> tuple[dict, dict]:
    "One `QuestionAnswerer` per side (exporting the ONNX ones), and per side its weights file size and export seconds."
    answerers, facts = {}, {}
    for name in names:
        started = time.perf_counter()
        if SIDES[name] is None:
            source, weights = folder, Path(folder) / "model.safetensors"
        else:
            weights = export_onnx(folder, scratch / name, **SIDES[name])
            source = weights.parent
        precision = {"precision": TORCH_PRECISION[name]} if TORCH_PRECISION.get(name) else {}
        answerers[name] = QuestionAnswerer.from_pretrained(source, **settings, **precision)  # default batch size and span search
        facts[name] = dict(model_mb=round(weights.stat().st_size / 1e6, 1) if weights.is_file() else None,
                           export_seconds=None if SIDES[name] is None else round(time.perf_counter() - started, 1),
                           compute_precision=answerers[name].compute_precision if name in TORCH_PRECISION else "onnx")
    return answerers, facts


def ask_ours(answerer, questions: list[str], contexts: list[str]) -> list[dict]:
    "Our top answer for each question (one call with the whole list)."
    return [answers[0] if answers else {"answer": "", "start": 0, "end": 0} for answers in answerer(questions, contexts)]


def run_pipeline(python: Path, folder: str, questions_file: Path, batch_sizes: list[int], threads: int,
                 settings: dict, scratch: Path) -> dict:
    "Run bench/pipeline_baseline.py once in the pipeline's environment; its JSON result."
    output = scratch / "pipeline_answers.json"
    command = [str(python), str(HERE / "pipeline_baseline.py"), "--model", folder, "--questions", str(questions_file),
               "--output", str(output), "--threads", str(threads), "--batch-sizes", ",".join(map(str, batch_sizes)),
               "--max-seq-len", str(settings["max_length"]), "--doc-stride", str(settings["doc_stride"]),
               "--max-answer-len", str(settings["max_answer_length"])]
    environment = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads), HF_HUB_OFFLINE="1",
                       TOKENIZERS_PARALLELISM="false")
    environment.pop("PYTHONPATH", None)
    subprocess.run(command, check=True, env=environment)
    return json.loads(output.read_text(encoding="utf-8"))


def race(answerers: dict, python: Path, folder: str, examples, batch_sizes: list[int], threads: int, settings: dict,
         repetitions: int, scratch: Path) -> tuple[dict, dict, dict]:
    "Seconds per side and repetition (order reversed every repetition), the last answers of each side, and the pipeline's facts."
    questions, contexts, ids = list(examples["question"]), list(examples["context"]), list(examples["id"])
    questions_file = scratch / "questions.json"
    questions_file.write_text(json.dumps([dict(id=i, question=q, context=c) for i, q, c in zip(ids, questions, contexts)]))
    for answerer in answerers.values(): ask_ours(answerer, questions[:2], contexts[:2])  # untimed warm-up
    pipeline_sides = [f"pipeline_batch_size_{size}" for size in batch_sizes]
    seconds, answers, facts = {name: [] for name in [*pipeline_sides, *answerers]}, {}, {}
    for repetition in range(repetitions):
        order = ["pipeline", *answerers] if repetition % 2 == 0 else ["pipeline", *answerers][::-1]
        for name in order:
            if name == "pipeline":
                sizes = batch_sizes if repetition % 2 == 0 else batch_sizes[::-1]
                result = run_pipeline(python, folder, questions_file, sizes, threads, settings, scratch)
                facts = {key: result[key] for key in ("transformers", "torch", "pipeline", "threads", "settings")}
                for size in sizes:
                    run = result["runs"][str(size)]
                    seconds[f"pipeline_batch_size_{size}"].append(run["seconds"])
                    answers[f"pipeline_batch_size_{size}"] = [run["answers"][i] for i in ids]
            else:
                started = time.perf_counter()
                answers[name] = ask_ours(answerers[name], questions, contexts)
                seconds[name].append(time.perf_counter() - started)
    return seconds, answers, facts


def same_answers(ours: list[dict], theirs: list[dict]) -> dict:
    "Share of identical answers (after strip) and mean SQuAD F1 of one side's answers against another's, in percent."
    same = sum(a["answer"].strip() == b["answer"].strip() for a, b in zip(ours, theirs))
    f1 = sum(f1_score(a["answer"], b["answer"]) for a, b in zip(ours, theirs))
    return dict(identical_answers_percent=round(100 * same / len(ours), 2), f1_vs_pipeline_best=round(100 * f1 / len(ours), 2))


def spans_consistent(answers: list[dict], contexts: list[str]) -> bool:
    "True when every answer text is exactly the context characters [start, end) it reports."
    return all(a["answer"] == c[a["start"]:a["end"]] for a, c in zip(answers, contexts))


def report(seconds: dict, answers: dict, examples, facts: dict) -> tuple[dict, str]:
    "Per side: median seconds and questions/s, ratio against the pipeline's best, agreement with it, EM/F1; and the best."
    count = len(examples)
    speed = {name: count / statistics.median(times) for name, times in seconds.items()}
    best = max((name for name in seconds if name.startswith("pipeline")), key=speed.get)
    sides = {}
    for name, times in seconds.items():
        gold = score_predictions(examples, {i: a["answer"] for i, a in zip(examples["id"], answers[name])}, verbose=False)
        sides[name] = dict(seconds=[round(t, 3) for t in times], median_seconds=round(statistics.median(times), 3),
                           questions_per_second=round(speed[name], 2), ratio_vs_pipeline_best=round(speed[name] / speed[best], 3),
                           **same_answers(answers[name], answers[best]), exact_match=round(gold["exact_match"], 2),
                           f1=round(gold["f1"], 2), **facts.get(name, {}))
    return sides, best


def targets(sides: dict, best_pipeline: str) -> dict:
    "The targets of issue 19, each with the measured value and whether it is met (against the pipeline at its best)."
    pipeline = sides[best_pipeline]
    result = {}
    default = sides.get("pytorch_default")
    if default:
        change = default["f1"] - pipeline["f1"]
        result.update(default_precision=default["compute_precision"], default_ratio=default["ratio_vs_pipeline_best"],
                      default_ratio_at_least_2=default["ratio_vs_pipeline_best"] >= TARGETS["default_ratio"],
                      default_identical_percent=default["identical_answers_percent"],
                      default_identical_at_least_97_percent=default["identical_answers_percent"] >= TARGETS["default_identical_percent"],
                      default_f1_change=round(change, 2), default_f1_within_half_a_point=abs(change) <= TARGETS["default_max_f1_change"])
    offered = [name for name in BEST_CANDIDATES if name in sides]
    if offered:
        best = max(offered, key=lambda name: sides[name]["ratio_vs_pipeline_best"])
        loss = pipeline["f1"] - sides[best]["f1"]
        result.update(best_path=best, best_ratio=sides[best]["ratio_vs_pipeline_best"],
                      best_ratio_at_least_3=sides[best]["ratio_vs_pipeline_best"] >= TARGETS["best_ratio"],
                      best_f1_loss=round(loss, 2), best_f1_loss_at_most_1=loss <= TARGETS["best_max_f1_loss"])
    return result


def summary(sides: dict, best: str, questions: int) -> str:
    "One line for the README table."
    ours = [name for name in sides if not name.startswith("pipeline")]
    ratios = ", ".join(f"{name} **{sides[name]['ratio_vs_pipeline_best']}x**" for name in ours)
    f1s = " / ".join(f"{sides[name]['f1']}" for name in [*ours, best])
    return (f"questions/s vs the real pipeline at its best ({best.replace('pipeline_', '').replace('_', ' ')}, "
            f"{sides[best]['questions_per_second']} q/s) on {questions:,} dev questions: {ratios}; "
            + "; ".join(f"{name} in {sides[name]['compute_precision']}: {sides[name]['identical_answers_percent']}% identical answers"
                        for name in ("pytorch_default", "pytorch_fp32") if name in sides) + "; "
            f"F1 {f1s} ({', '.join(ours)}, pipeline)")


def main():
    args = parse_args(__doc__.splitlines()[0], add_arguments)
    threads = configure(args.threads)
    sizes = {name: getattr(args, name) or value for name, value in SIZES[args.smoke].items()}
    names = [name.strip() for name in sizes["sides"].split(",") if name.strip()]
    unknown = [name for name in names if name not in SIDES]
    if unknown or "pytorch_fp32" not in names:
        sys.exit(f"--sides {sizes['sides']!r}: use names from {', '.join(SIDES)}, pytorch_fp32 included")
    batch_sizes = [int(size) for size in args.pipeline_batch_sizes.split(",")]
    python, venv = pipeline_python(Path(args.venv))
    show("pipeline environment", venv)
    examples = take_examples(load_examples(args.data_dir, "validation", None, args.seed), sizes["questions"], args.seed)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        folder, model_note = model_folder(args.model, args.seed, str(scratch))
        settings = window_settings(folder)
        answerers, facts = build_sides(folder, names, settings, scratch)
        seconds, answers, pipeline = race(answerers, python, folder, examples, batch_sizes, threads, settings,
                                          sizes["repetitions"], scratch)
    inputs = dict(smoke=args.smoke, data_dir=args.data_dir, model=model_note, questions=len(examples),
                  repetitions=sizes["repetitions"], threads=threads, device="cpu", hardware=hardware(),
                  max_seq_len=settings["max_length"], doc_stride=settings["doc_stride"],
                  max_answer_len=settings["max_answer_length"], top_k=1, pipeline_batch_sizes=batch_sizes, sides=names,
                  ours_batch_size=answerers["pytorch_fp32"].batch_size or "default", cpu=cpu_description(),
                  pipeline=f"transformers {pipeline['transformers']} {pipeline['pipeline']} (real, own virtual environment)",
                  pipeline_torch=pipeline["torch"], pipeline_threads=pipeline["threads"], pipeline_venv=venv)
    show("inputs", inputs)
    sides, best = report(seconds, answers, examples, facts)
    for name, side in sides.items(): show(name, side)
    goals = targets(sides, best)
    show(f"targets (issue 19; against {best})", goals)
    contexts = list(examples["context"])
    checks = dict(pipeline_is_5_2_0=pipeline["transformers"] == PIPELINE_VERSION,
                  all_answered=all(len(a) == len(examples) for a in answers.values()),
                  ours_spans_consistent=all(spans_consistent(answers[name], contexts) for name in names))
    failures = [f"check failed: {name}" for name, passed in checks.items() if not passed]
    ratios = {name: side["ratio_vs_pipeline_best"] for name, side in sides.items() if name in names}
    print(f"\nRATIO questions/s against the pipeline at its best ({best}): " + ", ".join(f"{k} {v}x" for k, v in ratios.items()))
    finish("inference", dict(what="`QuestionAnswerer` (PyTorch default/fp32/bf16, ONNX fp32/int8) vs the Hugging Face QA pipeline 5.2.0",
                             summary=summary(sides, best, len(examples)), inputs=inputs, pipeline_best=best, sides=sides,
                             ratios_vs_pipeline_best=ratios, targets=goals, **checks), failures)


if __name__ == "__main__":
    main()
