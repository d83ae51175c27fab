"""`load_squad_metric` works with no network and an empty Hugging Face cache, and looks like the hub's metrics.

Each check runs in a fresh interpreter whose sockets refuse to connect, with `HF_HUB_OFFLINE=1` and empty
`HF_HOME`/`HF_MODULES_CACHE` folders, so nothing can come from the hub or from an earlier download.
"""
from __future__ import annotations
import json, os, subprocess, sys, textwrap

import pytest

NO_NETWORK = """
import socket
def _refuse(*args, **kwargs): raise OSError("network disabled by tests/test_metric_offline.py")
socket.socket.connect = _refuse
socket.create_connection = _refuse
"""


def run_offline(code: str, tmp_path) -> dict:
    "Run `code` (which prints one JSON line last) in a fresh offline interpreter; return that JSON."
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf_home"),
           "HF_MODULES_CACHE": str(tmp_path / "modules"), "HF_EVALUATE_CACHE": str(tmp_path / "evaluate")}
    done = subprocess.run([sys.executable, "-c", NO_NETWORK + textwrap.dedent(code)], env=env, capture_output=True,
                          text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_both_metrics_load_and_score_offline(tmp_path):
    result = run_offline("""
        import json
        import evaluate
        from extractive_qa.scoring import load_squad_metric, squad_metric_path
        references = [{"id": "a", "answers": {"text": ["Denver Broncos", "Broncos"], "answer_start": [0, 7]}},
                      {"id": "b", "answers": {"text": ["Carolina Panthers"], "answer_start": [3]}},
                      {"id": "c", "answers": {"text": [], "answer_start": []}}]
        v1 = load_squad_metric()
        v2 = load_squad_metric(version_2=True)
        scores_v1 = v1.compute(predictions=[{"id": "a", "prediction_text": "the Broncos!"}, {"id": "b", "prediction_text": "Panthers"}],
                               references=references[:2])
        predictions_v2 = [{"id": "a", "prediction_text": "Broncos", "no_answer_probability": 0.25},
                          {"id": "b", "prediction_text": "Panthers", "no_answer_probability": 0.5},
                          {"id": "c", "prediction_text": "Santa Clara", "no_answer_probability": 1.5}]
        scores_v2 = v2.compute(predictions=predictions_v2, references=references)
        scores_v2_half = v2.compute(predictions=predictions_v2, references=references, no_answer_threshold=0.25)
        try:
            evaluate.load("squad")
            hub = "reachable"
        except Exception as error:
            hub = type(error).__name__
        import datasets  # the input features the hub's squad and squad_v2 declare
        answers = datasets.Sequence({"text": datasets.Value("string"), "answer_start": datasets.Value("int32")})
        hub_v1 = datasets.Features({"predictions": {"id": datasets.Value("string"), "prediction_text": datasets.Value("string")},
                                    "references": {"id": datasets.Value("string"), "answers": answers}})
        hub_v2 = datasets.Features({"predictions": {"id": datasets.Value("string"), "prediction_text": datasets.Value("string"),
                                                    "no_answer_probability": datasets.Value("float32")},
                                    "references": {"id": datasets.Value("string"), "answers": answers}})
        print(json.dumps(dict(v1=scores_v1, v2=scores_v2, v2_half=scores_v2_half, names=[v1.name, v2.name], hub=hub,
                              paths=[str(squad_metric_path(False)), str(squad_metric_path(True))],
                              same_features=[v1.features == hub_v1, v2.features == hub_v2])))
    """, tmp_path)
    assert result["hub"] != "reachable"  # the interpreter really was offline
    assert result["names"] == ["squad", "squad_v2"]  # the hub's names
    assert [os.path.basename(path) for path in result["paths"]] == ["squad_metric.py", "squad_v2_metric.py"]
    assert result["v1"] == pytest.approx({"exact_match": 50.0, "f1": 100 * (1 + 2 / 3) / 2})
    assert list(result["v1"]) == ["exact_match", "f1"]
    v2 = result["v2"]
    assert list(v2) == ["exact", "f1", "total", "HasAns_exact", "HasAns_f1", "HasAns_total", "NoAns_exact", "NoAns_f1",
                        "NoAns_total", "best_exact", "best_exact_thresh", "best_f1", "best_f1_thresh"]
    # default threshold 1.0: c (1.5 > 1.0) answers '' and is right; a right, b 2/3
    assert (v2["exact"], v2["f1"], v2["total"]) == pytest.approx((200 / 3, 100 * (1 + 2 / 3 + 1) / 3, 3))
    assert (v2["NoAns_exact"], v2["NoAns_total"], v2["HasAns_total"]) == (100.0, 1, 2)
    assert (v2["best_f1"], v2["best_f1_thresh"]) == pytest.approx((100 * (1 + 2 / 3 + 1) / 3, 0.5))
    assert (result["v2_half"]["exact"], result["v2_half"]["f1"]) == pytest.approx((200 / 3, 200 / 3))  # b nulled too
    assert result["same_features"] == [True, True]


def test_metric_files_import_the_package_by_absolute_name():
    "evaluate copies the file out of the package before importing it: a relative import would make it copy scoring.py too."
    from extractive_qa.scoring import squad_metric_path
    for version_2 in (False, True):
        lines = squad_metric_path(version_2).read_text().splitlines()
        imports = [line for line in lines if line.startswith(("import ", "from "))]
        assert "import extractive_qa.scoring as scoring" in imports[-1], imports
        assert not [line for line in imports if line.startswith("from .") or "," in line.split("#")[0]], imports


def test_v1_metric_refuses_unanswerable_references_with_a_pointer_to_v2():
    from extractive_qa.scoring import load_squad_metric
    with pytest.raises(ValueError, match="squad_v2_scores"):
        load_squad_metric().compute(predictions=[{"id": "c", "prediction_text": ""}],
                                    references=[{"id": "c", "answers": {"text": [], "answer_start": []}}])
