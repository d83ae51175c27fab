"""An interrupted `extractive-qa train` resumes from its last checkpoint and ends in the same state."""
import json, signal, subprocess, sys, time
from pathlib import Path
import numpy as np
import pytest
from safetensors.numpy import load_file

def train_command(output: Path, data_dir: Path, *extra) -> list[str]:
    script = str(Path(sys.executable).with_name("extractive-qa"))
    return [script, "train", "--profile", "smoke", "--data-dir", str(data_dir), "--output-dir", str(output),
            "--max-train-examples", "96", "--max-eval-examples", "16", "--max-steps", "8", "--save-steps", "2",
            "--batch-size", "8", *extra]

def test_interrupted_run_resumes_to_the_same_state(data_dir, tmp_path):
    straight = tmp_path / "straight"
    subprocess.run(train_command(straight, data_dir), check=True, capture_output=True)
    interrupted = tmp_path / "interrupted"
    process = subprocess.Popen(train_command(interrupted, data_dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not list(interrupted.glob("checkpoints/checkpoint-*/trainer_state.json")):
        assert process.poll() is None, "the run ended before its first checkpoint"
        assert time.time() < deadline, "no checkpoint after 300 s"
        time.sleep(0.05)
    time.sleep(0.5)  # let the checkpoint's last files land
    process.send_signal(signal.SIGKILL); process.wait()
    assert not (interrupted / "metrics.json").exists(), "the run finished before it was interrupted"
    resumed = subprocess.run(train_command(interrupted, data_dir, "--resume"), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    a, b = load_file(straight / "model" / "model.safetensors"), load_file(interrupted / "model" / "model.safetensors")
    assert a.keys() == b.keys()
    for name in a: np.testing.assert_allclose(a[name], b[name], atol=1e-5, err_msg=name)
    assert json.loads((straight / "predictions.json").read_text()) == json.loads((interrupted / "predictions.json").read_text())
