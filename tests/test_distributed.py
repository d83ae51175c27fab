"""`extractive-qa train` under torchrun and accelerate launch: 2 CPU processes (gloo), tiny run; then the trained
model's evaluation under the same launcher must give the windows' logits in the same order, and the same answers,
as one process.

The launch commands are the README's multi-GPU commands with the profile and a few limits changed."""
import json, math, os, shutil, subprocess, sys
from pathlib import Path
import numpy as np
import pytest

EXPECTED_FILES = {"metrics.json", "predictions.json", "nbest_predictions.json", "loss_curve.png", "log_history.json",
                  "eval_curve.json", "model", "checkpoints", "run_config.json"}

# Evaluates a saved model on the smoke profile's first 20 validation questions, in fp32, 3 windows per batch and
# process (so the processes get several batches and an uneven tail), and saves what rank 0 gathered.
PREDICT = '''
import json, sys
import numpy as np
from extractive_qa.config import get_config
from extractive_qa.data import load_config_data
from extractive_qa.training import build_eval_features, build_trainer, load_model_and_tokenizer
data_dir, model_dir, output = sys.argv[1:4]
config = get_config("smoke", data_dir=data_dir, max_eval_examples=20, eval_batch_size=3, precision="fp32", output_dir=output)
examples = load_config_data(config, ("validation",))["validation"]
model, tokenizer = load_model_and_tokenizer(model_dir)
features = build_eval_features(examples, tokenizer, config)
trainer = build_trainer(config, model, tokenizer, None, examples, features, output_dir=output)
start, end = trainer.predict(features).predictions[:2]
scores = trainer.evaluate()
if trainer.is_world_process_zero():
    np.savez(f"{output}/logits.npz", start=start, end=end)
    json.dump(dict(answers=trainer.squad_metrics.last.answers, windows=trainer.squad_metrics.windows_scored,
                   features=len(features), f1=scores["eval_f1"]), open(f"{output}/evaluation.json", "w"))
'''


def environment() -> dict:
    return {**os.environ, "OMP_NUM_THREADS": "1", "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}


def launch(launcher: list[str], output: Path, data_dir: Path) -> subprocess.CompletedProcess:
    script = str(Path(sys.executable).with_name("extractive-qa"))
    limits = ["--data-dir", data_dir, "--output-dir", output, "--max-train-examples", 48, "--max-eval-examples", 20,
              "--max-steps", 3, "--batch-size", 8]
    return subprocess.run([*launcher, script, "train", "--profile", "smoke", *map(str, limits)],
                          capture_output=True, text=True, env=environment(), timeout=600)


def evaluate(launcher: list[str], script: Path, data_dir: Path, model_dir: Path, output: Path) -> tuple[dict, dict]:
    "Run the PREDICT script (under `launcher`, or in one process when it is empty); return its logits and evaluation."
    output.mkdir()
    result = subprocess.run([*launcher, str(script), str(data_dir), str(model_dir), str(output)],
                            capture_output=True, text=True, env=environment(), timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return dict(np.load(output / "logits.npz")), json.loads((output / "evaluation.json").read_text())


@pytest.mark.parametrize("launcher", [["torchrun", "--nproc_per_node", "2"],
                                      ["accelerate", "launch", "--multi_gpu", "--num_processes", "2"]], ids=["torchrun", "accelerate"])
def test_two_processes_on_cpu(launcher, data_dir, tmp_path):
    if shutil.which(launcher[0], path=str(Path(sys.executable).parent)) is None: pytest.fail(f"{launcher[0]} is not installed")
    launcher = [str(Path(sys.executable).with_name(launcher[0])), *launcher[1:]]
    output = tmp_path / "run"
    result = launch(launcher, output, data_dir)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    assert "rank 0/2" in log and "rank 1/2" in log, "both ranks must run"
    metrics = json.loads((output / "metrics.json").read_text())
    assert math.isfinite(metrics["loss"]) and metrics["train_steps"] == 3
    assert metrics["eval_windows_scored"] == metrics["features"], "every evaluation window gathered exactly once"
    predictions = json.loads((output / "predictions.json").read_text())
    assert len(predictions) == metrics["examples"] == 20
    assert {p.name for p in output.iterdir()} == EXPECTED_FILES, "only rank 0 writes, and only these files"

    script = tmp_path / "predict.py"
    script.write_text(PREDICT)
    two_logits, two = evaluate(launcher, script, data_dir, output / "model", tmp_path / "two")
    one_logits, one = evaluate([sys.executable], script, data_dir, output / "model", tmp_path / "one")
    assert two["windows"] == one["windows"] == two["features"], "each window gathered exactly once"
    assert two_logits["start"].shape[0] == one_logits["start"].shape[0] == two["features"]
    width = min(two_logits["start"].shape[1], one_logits["start"].shape[1])
    for name in ("start", "end"):  # row i is window i in both: same order, same logits
        np.testing.assert_allclose(two_logits[name][:, :width], one_logits[name][:, :width], atol=1e-3, err_msg=name)
    assert two["answers"] == one["answers"] and two["f1"] == one["f1"]
