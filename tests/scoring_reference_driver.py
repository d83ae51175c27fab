"""Runs inside the reference environment (see `scoring_reference.py`), never in the project's own.

    python scoring_reference_driver.py JOBS.json RESULTS.json

Scores each job of JOBS.json with installed reference code and writes the list of results to RESULTS.json (a file,
not stdout: both references print a line for every missing prediction):
- `{"script": "v1.1", "questions": [{"id", "answers": [text, ...]}], "predictions": {id: text}}`: `evaluate` of the
  official SQuAD v1.1 evaluation script, as allennlp 0.9.0 ships it (`allennlp/tools/squad_eval.py`);
- `{"script": "v2.0", "questions", "predictions", "na_probs": {id: p} or null, "threshold": t}`: `squad_evaluate` of
  transformers 5.2.0 (`transformers.data.metrics.squad_metrics`, Hugging Face's port of the official v2.0 script);
- `{"script": "pairs", "pairs": [[prediction, truth], ...]}`: per pair, v1.1's `exact_match_score` and `f1_score`, and
  v2.0's `compute_f1`.
"""
import importlib.util, json, sys
from pathlib import Path
from types import SimpleNamespace

import transformers.data.metrics.squad_metrics as squad_v2


def load_squad_v1_script():
    "allennlp's `tools/squad_eval.py`, loaded from its installed file: allennlp's own `__init__` imports spacy and torch."
    package = Path(importlib.util.find_spec("allennlp").submodule_search_locations[0])
    spec = importlib.util.spec_from_file_location("allennlp_squad_eval", package / "tools" / "squad_eval.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


squad_v1 = load_squad_v1_script()


def run(job: dict):
    "The reference result of one job."
    questions = job.get("questions", [])
    if job["script"] == "v1.1":
        dataset = [{"paragraphs": [{"qas": [{"id": q["id"], "answers": [{"text": text} for text in q["answers"]]}
                                            for q in questions]}]}]
        return squad_v1.evaluate(dataset, job["predictions"])
    if job["script"] == "v2.0":
        examples = [SimpleNamespace(qas_id=q["id"], answers=[{"text": text} for text in q["answers"]]) for q in questions]
        return dict(squad_v2.squad_evaluate(examples, job["predictions"], job["na_probs"], job["threshold"]))
    if job["script"] == "pairs":
        return [[bool(squad_v1.exact_match_score(guess, truth)), squad_v1.f1_score(guess, truth), squad_v2.compute_f1(truth, guess)]
                for guess, truth in job["pairs"]]
    raise ValueError(f"unknown script {job['script']!r}: use v1.1, v2.0 or pairs")


if __name__ == "__main__":
    jobs = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    Path(sys.argv[2]).write_text(json.dumps([run(job) for job in jobs]), encoding="utf-8")
