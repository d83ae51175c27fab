"""The reference SQuAD scorers that `test_scoring_official.py` compares the package with: installed, called, never copied.

- SQuAD v1.1: the official evaluation script (`evaluate-v1.1.py`), as allennlp 0.9.0 ships it in `allennlp/tools/squad_eval.py`.
- SQuAD v2.0: `transformers.data.metrics.squad_metrics` of transformers 5.2.0, Hugging Face's port of the official
  `evaluate-v2.0.py` (same functions; one difference: without no-answer probabilities it still adds the `best_*`
  figures, computed with every probability 0, where the official script leaves them out).

Both live in the environment of the inference benchmark (transformers 5.2.0, `bench/pipeline_venv.py`), which this
module creates if it is missing and where it installs `allennlp==0.9.0 --no-deps` (only its script is used). They run
there in a subprocess (`scoring_reference_driver.py`).
"""
from __future__ import annotations
import json, os, subprocess, sys, tempfile
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DRIVER = Path(__file__).resolve().parent / "scoring_reference_driver.py"
SQUAD_V1_REFERENCE = "allennlp==0.9.0"


@lru_cache(maxsize=1)
def reference_python() -> Path:
    "The Python of the reference environment, created and completed if needed."
    sys.path.insert(0, str(ROOT / "bench"))
    try: from pipeline_venv import default_venv, pip_install, pipeline_python
    finally: sys.path.remove(str(ROOT / "bench"))
    venv = default_venv()
    python, _ = pipeline_python(venv)
    has_allennlp = "import importlib.util, sys; sys.exit(importlib.util.find_spec('allennlp') is None)"
    if subprocess.run([str(python), "-c", has_allennlp]).returncode != 0:
        pip_install(python, ["--no-deps", SQUAD_V1_REFERENCE], venv)
    return python


def reference_scores(*jobs: dict) -> list:
    "The reference result of each job (see `scoring_reference_driver.py` for the kinds of job)."
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "jobs.json", Path(folder) / "results.json"
        source.write_text(json.dumps(jobs), encoding="utf-8")
        environment = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_VERBOSITY="error")
        environment.pop("PYTHONPATH", None)  # nothing of the project's environment leaks into the reference's
        done = subprocess.run([str(reference_python()), str(DRIVER), str(source), str(target)], capture_output=True, text=True,
                              env=environment)
        if done.returncode != 0:
            raise RuntimeError(f"the reference scorers failed ({done.returncode}):\n{done.stderr[-3000:]}")
        return json.loads(target.read_text(encoding="utf-8"))


def questions(rows: list[dict]) -> list[dict]:
    "The rows as the driver takes them: id and answer texts."
    return [{"id": row["id"], "answers": list(row["answers"]["text"])} for row in rows]


def official_v1(rows: list[dict], predictions: dict[str, str]) -> dict:
    "`{exact_match, f1}` of the official v1.1 script."
    return reference_scores(dict(script="v1.1", questions=questions(rows), predictions=predictions))[0]


def official_v2(rows: list[dict], predictions: dict[str, str], na_probs: dict[str, float] | None = None,
                threshold: float = 1.0) -> dict:
    "What the official v2.0 script reports (no `best_*` without `na_probs`, as the official script does)."
    result = reference_scores(dict(script="v2.0", questions=questions(rows), predictions=predictions, na_probs=na_probs,
                                   threshold=threshold))[0]
    return result if na_probs is not None else {key: value for key, value in result.items() if not key.startswith("best_")}
