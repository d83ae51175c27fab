"""The committed outputs of the cpu run (results/, copied there by `make notebooks`) against the claims the notebooks make
about them (issue 18.12): the claim checks guarded by `if config.profile != "smoke"` never run in CI, so the numbers they
guard are checked here, on the files the README and the notebooks' outputs show."""
import json, math
from pathlib import Path
import pytest
from extractive_qa.config import OFFLINE_MINILM, PROFILES

RESULTS = Path(__file__).resolve().parent.parent / "results"
CPU = PROFILES["cpu"]


def read(name: str):
    path = RESULTS / name
    if not path.is_file(): pytest.fail(f"results/{name} is missing: run `make notebooks` (it records the cpu run there) and commit it")
    return json.loads(path.read_text())


def test_cpu_run_is_usable():
    "03_training asserts F1 > 50 on a trained model ('the next lessons call this model usable'); index.ipynb says 'usable'."
    metrics = read("cpu_metrics.json")
    assert metrics["profile"] == "cpu" and metrics["model"] == OFFLINE_MINILM and metrics["version_2"] is False
    assert metrics["f1"] > 50, f"F1 {metrics['f1']:.1f}: the lessons call the cpu model usable"
    assert 0 < metrics["exact_match"] <= metrics["f1"] <= 100


def test_cpu_run_has_the_cpu_profile_sizes():
    "Questions, windows and optimizer steps agree with PROFILES['cpu']: the run is the profile the notebooks say it is."
    metrics = read("cpu_metrics.json")
    for name, value in CPU.items(): assert metrics["config"][name] == value, name
    assert metrics["examples"] == metrics["total"] == CPU["max_eval_examples"]
    assert metrics["train_examples"] == CPU["max_train_examples"]
    assert metrics["eval_windows_scored"] == metrics["features"] >= metrics["examples"]
    assert metrics["train_features"] >= metrics["train_examples"] * 0.9   # answer windows only: about one per question
    planned = math.ceil(metrics["train_features"] * CPU["num_train_epochs"] / CPU["train_batch_size"])
    assert metrics["train_steps"] == metrics["step"]
    if CPU.get("max_train_minutes"):   # a time budget: the steps that fit, at most the plan, and within the budget
        assert 0 < metrics["train_steps"] <= planned and metrics["time_budget_minutes"] == CPU["max_train_minutes"]
        assert metrics["train_seconds"] <= 60 * CPU["max_train_minutes"], metrics["train_seconds"]
        assert metrics["windows_seen"] == metrics["train_steps"] * CPU["train_batch_size"]
    else: assert metrics["train_steps"] == planned, (metrics["train_steps"], planned)
    assert metrics["hardware"].startswith("CPU") and metrics["cpu"]["model"] in metrics["hardware"]


def test_cpu_eval_curve_rises_and_ends_at_the_run():
    "03_training: F1 every eval_steps steps, more training gives better answers, and the last point is the run's score."
    metrics, curve = read("cpu_metrics.json"), read("cpu_eval_curve.json")
    steps = [point["step"] for point in curve]
    assert steps == [*range(CPU["eval_steps"], metrics["train_steps"], CPU["eval_steps"]), metrics["train_steps"]], steps
    assert all(a["train_seconds"] < b["train_seconds"] for a, b in zip(curve, curve[1:]))
    assert curve[-1]["f1"] > curve[0]["f1"]
    assert curve[-1]["f1"] == pytest.approx(metrics["f1"]) and curve[-1]["exact_match"] == pytest.approx(metrics["exact_match"])
    assert curve[-1]["train_seconds"] <= metrics["train_seconds"] + 0.0505   # tenths and milliseconds, each rounded once


def test_cpu_v2_run_abstains_and_still_answers():
    "08_squad_v2: the SQuAD 2.0 model, trained from the cpu run, abstains (NoAns right) and still answers (HasAns F1 > 20)."
    metrics = read("cpu_v2_metrics.json")
    assert metrics["profile"] == "cpu" and metrics["version_2"] is True and metrics["config"]["version_2"] is True
    assert metrics["HasAns_total"] + metrics["NoAns_total"] == metrics["total"] == metrics["examples"]
    assert metrics["NoAns_exact"] > 0, "the SQuAD 2.0 model never abstains"
    assert metrics["HasAns_f1"] > 20, f"HasAns F1 {metrics['HasAns_f1']:.1f}: 08 calls this a model that still answers"
    assert metrics["best_f1"] >= metrics["f1"]


def test_cpu_results_hold_no_machine_paths():
    "results/cpu_* is committed and read by the README: no absolute path of the machine that ran `make notebooks` (record_results.py strips it)."
    for path in sorted(RESULTS.glob("cpu_*.json")):
        def strings(value):
            if isinstance(value, str): yield value
            elif isinstance(value, dict): yield from (s for v in value.values() for s in strings(v))
            elif isinstance(value, list): yield from (s for v in value for s in strings(v))
        absolute = [text for text in strings(json.loads(path.read_text())) if text.startswith(("/", "~")) or ":\\" in text]
        assert not absolute, f"results/{path.name} holds machine paths {absolute[:3]}: rerun scripts/record_results.py"
