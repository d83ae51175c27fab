"""Baseline of the inference benchmark: the real Hugging Face question-answering pipeline of transformers 5.2.0 (the last
release that has it), run in its own virtual environment. `bench/bench_inference.py` creates that environment and starts
this script; by hand:

    bench/.venv-pipeline/bin/python bench/pipeline_baseline.py --model M --questions Q.json --output O.json \
        [--threads 2] [--batch-sizes 1,32] [--max-seq-len 384] [--doc-stride 128] [--max-answer-len 30]

Q.json is a list of {"id", "question", "context"}. The script loads `pipeline("question-answering")` on the model folder
M, and for each batch size (in the order given) makes one untimed warm-up call on two questions, then one timed call with
every question. O.json gets the versions, the settings, and per batch size the seconds of the timed call and the top
answer of each question ({"answer", "start", "end", "score"} by id). It imports nothing from this repository.
"""
import argparse, json, os, sys, time

for _name, _value in (("HF_HUB_OFFLINE", "1"), ("TOKENIZERS_PARALLELISM", "false")):
    os.environ.setdefault(_name, _value)


def parse_args() -> argparse.Namespace:
    "The model folder, the question file, the output file and the pipeline's settings."
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="folder of a fine-tuned transformers QA model")
    parser.add_argument("--questions", required=True, help='JSON list of {"id", "question", "context"}')
    parser.add_argument("--output", required=True, help="where to write the answers and timings (JSON)")
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    parser.add_argument("--batch-sizes", default="1,32", help="comma-separated batch sizes, timed in this order")
    parser.add_argument("--max-seq-len", type=int, default=384)
    parser.add_argument("--doc-stride", type=int, default=128)
    parser.add_argument("--max-answer-len", type=int, default=30)
    args = parser.parse_args()
    args.batch_sizes = [int(size) for size in args.batch_sizes.split(",") if size.strip()]
    return args


def top_answers(outputs, count: int) -> list[dict]:
    "The pipeline's output for `count` questions as one top-answer dict per question."
    outputs = [outputs] if isinstance(outputs, dict) else list(outputs)
    outputs = [o[0] if isinstance(o, list) else o for o in outputs]
    if len(outputs) != count: raise RuntimeError(f"the pipeline returned {len(outputs)} answers for {count} questions")
    return [{key: output[key] for key in ("answer", "start", "end", "score")} for output in outputs]


def main() -> None:
    args = parse_args()
    import torch
    torch.set_num_threads(args.threads)
    import transformers
    from transformers import pipeline
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    with open(args.questions, encoding="utf-8") as file: rows = json.load(file)
    ids = [row["id"] for row in rows]
    questions, contexts = [row["question"] for row in rows], [row["context"] for row in rows]
    started = time.perf_counter()
    answerer = pipeline("question-answering", model=args.model, tokenizer=args.model, device="cpu")
    load_seconds = time.perf_counter() - started
    settings = dict(top_k=1, max_seq_len=args.max_seq_len, doc_stride=args.doc_stride, max_answer_len=args.max_answer_len)
    runs = {}
    for batch_size in args.batch_sizes:
        answerer(question=questions[:2], context=contexts[:2], batch_size=batch_size, **settings)  # warm-up, untimed
        started = time.perf_counter()
        outputs = answerer(question=questions, context=contexts, batch_size=batch_size, **settings)
        seconds = time.perf_counter() - started
        runs[str(batch_size)] = dict(seconds=seconds, answers=dict(zip(ids, top_answers(outputs, len(rows)))))
    result = dict(transformers=transformers.__version__, torch=torch.__version__, pipeline=type(answerer).__name__,
                  threads=torch.get_num_threads(), questions=len(rows), load_seconds=load_seconds, settings=settings,
                  runs=runs)
    temporary = f"{args.output}.tmp{os.getpid()}"
    with open(temporary, "w", encoding="utf-8") as file: json.dump(result, file, ensure_ascii=False)
    os.replace(temporary, args.output)
    print(f"pipeline {transformers.__version__}: " + ", ".join(f"batch size {size}: {run['seconds']:.2f} s"
                                                              for size, run in runs.items()), file=sys.stderr)


if __name__ == "__main__":
    main()
