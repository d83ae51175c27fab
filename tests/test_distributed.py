"""`extractive-qa train` under torchrun and accelerate launch: 2 CPU processes (gloo), tiny run.

The launch commands are the README's multi-GPU commands with the profile and a few limits changed."""
import json, math, os, shutil, subprocess, sys
from pathlib import Path
import pytest

EXPECTED_FILES = {"metrics.json", "predictions.json", "nbest_predictions.json", "loss_curve.png", "log_history.json", "model", "checkpoints"}

def launch(launcher: list[str], output: Path, data_dir: Path) -> subprocess.CompletedProcess:
    script = str(Path(sys.executable).with_name("extractive-qa"))
    limits = ["--data-dir", data_dir, "--output-dir", output, "--max-train-examples", 48, "--max-eval-examples", 20,
              "--max-steps", 3, "--batch-size", 8]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    return subprocess.run([*launcher, script, "train", "--profile", "smoke", *map(str, limits)],
                          capture_output=True, text=True, env=env, timeout=600)

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
