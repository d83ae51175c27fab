"""Inference: `extractive_qa.inference.QuestionAnswerer` against the Hugging Face question-answering pipeline, same
model weights, same windows (max_seq_len 384, doc_stride 128), max answer length 30, top 1, batch size 32.

    python bench/bench_inference.py [--smoke] [--data-dir D] [--model runs/cpu/model] [--questions N]
                                    [--document-words N] [--repetitions N] [--batch-size N]

Two workloads: (a) one question about a long document made of consecutive v1.1 dev contexts, timed over a few
repetitions; (b) a batch of v1.1 dev questions with their own contexts, passed as one list to each side. Reports
questions/second of each side, the RATIO ours/pipeline, and how far the answers agree (identical strings and SQuAD F1
of ours against the pipeline's). No ratio target; fails only on plumbing errors (different weights, missing answers,
answers that are not the context span they point at).
"""
from common import configure, finish, load_examples, parse_args, show

import tempfile, time
from pathlib import Path
import torch
from transformers import AutoModelForQuestionAnswering, AutoTokenizer, set_seed
from extractive_qa.config import OFFLINE_MINILM
from extractive_qa.data import take_examples
from extractive_qa.inference import QuestionAnswerer
from extractive_qa.scoring import f1_score, score_predictions
from extractive_qa.training import load_model_and_tokenizer
from hf_qa_pipeline import make_pipeline

MAX_LENGTH, DOC_STRIDE, MAX_ANSWER_LENGTH = 384, 128, 30
SIZES = {False: dict(questions=1_000, document_words=5_000, repetitions=3),
         True: dict(questions=20, document_words=1_000, repetitions=1)}


def add_arguments(parser) -> None:
    "The model folder and the workload sizes."
    parser.add_argument("--model", default="runs/cpu/model", help="fine-tuned model folder (falls back to an untrained head)")
    parser.add_argument("--batch-size", type=int, default=32, help="windows per forward pass, both sides")
    for name in SIZES[False]: parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=None)


def model_folder(requested: str, seed: int, scratch: str) -> tuple[str, str]:
    "`requested` if it holds a model, else the offline MiniLM with a QA head initialised under `seed`, saved to `scratch`."
    if (Path(requested) / "config.json").is_file(): return requested, f"fine-tuned model from {requested}"
    set_seed(seed)
    model, tokenizer = load_model_and_tokenizer(OFFLINE_MINILM)
    model.save_pretrained(scratch); tokenizer.save_pretrained(scratch)
    return scratch, (f"FALLBACK: {requested!r} has no model, so both sides use the offline MiniLM with a freshly "
                     f"initialised (untrained) QA head, torch seed {seed}; answers are meaningless, timings are not")


def build_sides(folder: str, batch_size: int):
    "Our answerer and the pipeline, each loading the weights in `folder` on its own; and the pipeline's name."
    ours = QuestionAnswerer.from_pretrained(folder, max_length=MAX_LENGTH, doc_stride=DOC_STRIDE,
                                            max_answer_length=MAX_ANSWER_LENGTH, batch_size=batch_size)
    model = AutoModelForQuestionAnswering.from_pretrained(folder, use_safetensors=True).eval()
    pipe, pipeline_name = make_pipeline(model, AutoTokenizer.from_pretrained(folder))
    return ours, pipe, pipeline_name


def same_weights(a, b) -> bool:
    "True when two models hold identical parameters."
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k].cpu(), sb[k].cpu()) for k in sa)


def long_document(validation, words: int) -> dict:
    "Consecutive distinct dev contexts joined until `words` words; the question is the first one on the middle context."
    all_contexts, contexts, total = list(validation["context"]), [], 0
    for context in dict.fromkeys(all_contexts):
        contexts.append(context); total += len(context.split())
        if total >= words: break
    middle = contexts[len(contexts) // 2]
    row = validation[all_contexts.index(middle)]
    return dict(document="\n\n".join(contexts), question=row["question"], gold=row["answers"]["text"],
                words=total, contexts=len(contexts))


def ask_ours(ours, questions: list[str], contexts: list[str]) -> list[dict]:
    "Our top answer for each question (one call with the whole list)."
    return [answers[0] if answers else {"answer": "", "start": 0, "end": 0} for answers in ours(questions, contexts)]


def ask_pipeline(pipe, questions: list[str], contexts: list[str], batch_size: int) -> list[dict]:
    "The pipeline's top answer for each question (one call with the whole list)."
    outputs = pipe(question=questions, context=contexts, top_k=1, max_answer_len=MAX_ANSWER_LENGTH, doc_stride=DOC_STRIDE,
                   max_seq_len=MAX_LENGTH, batch_size=batch_size)
    outputs = [outputs] if isinstance(outputs, dict) else outputs
    return [o if isinstance(o, dict) else (o[0] if o else {"answer": "", "start": 0, "end": 0}) for o in outputs]


def timed(function, repetitions: int = 1):
    "The last result of `function()` and the mean seconds per call over `repetitions` calls."
    start = time.perf_counter()
    for _ in range(repetitions): result = function()
    return result, (time.perf_counter() - start) / repetitions


def agreement(ours: list[dict], theirs: list[dict]) -> dict:
    "Share of identical answers (after strip) and mean SQuAD F1 of our answers against the pipeline's, in percent."
    same = sum(a["answer"].strip() == b["answer"].strip() for a, b in zip(ours, theirs))
    f1 = sum(f1_score(a["answer"], b["answer"]) for a, b in zip(ours, theirs))
    return dict(identical_answers_percent=round(100 * same / len(ours), 2), f1_ours_vs_pipeline=round(100 * f1 / len(ours), 2))


def spans_consistent(answers: list[dict], contexts: list[str]) -> bool:
    "True when every answer text is exactly the context characters [start, end) it reports."
    return all(a["answer"] == c[a["start"]:a["end"]] for a, c in zip(answers, contexts))


def long_document_workload(ours, pipe, doc: dict, repetitions: int, batch_size: int) -> dict:
    "Time both sides answering one question about the long document."
    ask = ([doc["question"]], [doc["document"]])
    our_answers, our_seconds = timed(lambda: ask_ours(ours, *ask), repetitions)
    their_answers, their_seconds = timed(lambda: ask_pipeline(pipe, *ask, batch_size), repetitions)
    return dict(ours_seconds_per_question=round(our_seconds, 4), pipeline_seconds_per_question=round(their_seconds, 4),
                ours_questions_per_second=round(1 / our_seconds, 3), pipeline_questions_per_second=round(1 / their_seconds, 3),
                ratio=round(their_seconds / our_seconds, 3), ours_answer=our_answers[0]["answer"],
                pipeline_answer=their_answers[0]["answer"], gold=doc["gold"],
                same_answer=our_answers[0]["answer"].strip() == their_answers[0]["answer"].strip(),
                ours_spans_consistent=spans_consistent(our_answers, ask[1]))


def batch_workload(ours, pipe, examples, batch_size: int) -> dict:
    "Time both sides answering every question of `examples` in one call, and score both against the gold answers."
    questions, contexts = list(examples["question"]), list(examples["context"])
    our_answers, our_seconds = timed(lambda: ask_ours(ours, questions, contexts))
    their_answers, their_seconds = timed(lambda: ask_pipeline(pipe, questions, contexts, batch_size))
    score = lambda answers: score_predictions(examples, {i: a["answer"] for i, a in zip(examples["id"], answers)})
    ours_gold, theirs_gold = score(our_answers), score(their_answers)
    return dict(ours_seconds=round(our_seconds, 3), pipeline_seconds=round(their_seconds, 3),
                ours_questions_per_second=round(len(questions) / our_seconds, 3),
                pipeline_questions_per_second=round(len(questions) / their_seconds, 3),
                ratio=round(their_seconds / our_seconds, 3), **agreement(our_answers, their_answers),
                ours_exact_match=round(ours_gold["exact_match"], 2), ours_f1=round(ours_gold["f1"], 2),
                pipeline_exact_match=round(theirs_gold["exact_match"], 2), pipeline_f1=round(theirs_gold["f1"], 2),
                all_answered=len(our_answers) == len(their_answers) == len(questions),
                ours_spans_consistent=spans_consistent(our_answers, contexts))


def main():
    args = parse_args(__doc__.splitlines()[0], add_arguments)
    threads = configure()
    sizes = {name: getattr(args, name) or value for name, value in SIZES[args.smoke].items()}
    validation = load_examples(args.data_dir, "validation", None, args.seed)
    examples = take_examples(validation, sizes["questions"], args.seed)
    doc = long_document(validation, sizes["document_words"])
    with tempfile.TemporaryDirectory() as scratch:
        folder, model_note = model_folder(args.model, args.seed, scratch)
        ours, pipe, pipeline_name = build_sides(folder, args.batch_size)
    inputs = dict(smoke=args.smoke, data_dir=args.data_dir, model=model_note, pipeline=pipeline_name, threads=threads,
                  device=str(next(ours.model.parameters()).device), **sizes, batch_size=args.batch_size,
                  document_contexts=doc["contexts"], document_characters=len(doc["document"]), question=doc["question"],
                  max_seq_len=MAX_LENGTH, doc_stride=DOC_STRIDE, max_answer_len=MAX_ANSWER_LENGTH, top_k=1)
    show("inputs", inputs)
    weights_match = same_weights(ours.model, pipe.model)
    warm_up = (list(examples["question"][:2]), list(examples["context"][:2]))  # one untimed call each
    ask_ours(ours, *warm_up); ask_pipeline(pipe, *warm_up, args.batch_size)

    long = long_document_workload(ours, pipe, doc, sizes["repetitions"], args.batch_size)
    show(f"(a) one question, {doc['words']}-word document, {sizes['repetitions']} repetition(s)", long)
    batch = batch_workload(ours, pipe, examples, args.batch_size)
    show(f"(b) {len(examples)} dev questions in one call", batch)
    print(f"\nRATIO ours/pipeline questions per second: long document {long['ratio']}, batch {batch['ratio']} (no target)")

    checks = dict(same_weights=weights_match, all_answered=batch["all_answered"],
                  ours_spans_consistent=batch["ours_spans_consistent"] and long["ours_spans_consistent"])
    failures = [f"check failed: {name}" for name, passed in checks.items() if not passed]
    finish("inference", dict(inputs=inputs, long_document=long, batch=batch, **checks,
                             ratio_long_document=long["ratio"], ratio_batch=batch["ratio"]), failures)


if __name__ == "__main__":
    main()
