"""What `extractive-qa train` does with the folder it writes to (issue 18, items 3, 7 and 9): a model that cannot load
leaves nothing behind, `--resume` never trains from scratch over a run, and `--overwrite` leaves no file of the old run
in the new one."""
import json, os
from pathlib import Path
import pytest
from conftest import run_cli

SMALL = ["--max-train-examples", "32", "--max-eval-examples", "8", "--max-steps", "2", "--batch-size", "8"]

def train(data_dir: Path, output: Path, *extra, env=None):
    "`extractive-qa train` on the smoke profile and a tiny slice; the completed process (not checked)."
    return run_cli("train", "--profile", "smoke", "--data-dir", data_dir, "--output-dir", output, *SMALL, *extra,
                   check=False, env=env)

def one_line(result) -> str:
    "The single stderr line of a refused command (exit 2, no traceback)."
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and "Traceback" not in result.stderr, result.stderr[-3000:]
    return lines[0]

def test_a_model_folder_that_does_not_exist_leaves_nothing(data_dir, tmp_path):
    line = one_line(train(data_dir, tmp_path / "run", "--model", str(tmp_path / "no" / "such")))
    assert "there is no such folder" in line and str(tmp_path / "no" / "such") in line
    assert not (tmp_path / "run").exists()

def test_a_hub_model_offline_leaves_nothing(data_dir, tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "empty-cache")}
    line = one_line(train(data_dir, tmp_path / "run", "--model", "distilbert-base-uncased", env=env))
    assert "'distilbert-base-uncased' is not a local folder" in line and "hub is unreachable" in line
    assert not (tmp_path / "run").exists()

def test_resume_without_checkpoints_is_refused_and_keeps_the_run(data_dir, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.json").write_text('{"f1": 70.0}')   # a finished run whose checkpoints were deleted to save space
    line = one_line(train(data_dir, run, "--resume"))
    assert "--resume: no checkpoint" in line and "nothing to resume" in line
    assert sorted(p.name for p in run.iterdir()) == ["metrics.json"] and (run / "metrics.json").read_text() == '{"f1": 70.0}'

def test_resume_with_other_settings_is_refused(data_dir, tmp_path):
    run = tmp_path / "run"
    (run / "checkpoints" / "checkpoint-2").mkdir(parents=True)
    assert one_line(train(data_dir, run, "--resume")).endswith("Train afresh with --overwrite.")   # no run_config.json
    (run / "run_config.json").write_text(json.dumps({"learning_rate": 1.0}))
    line = one_line(train(data_dir, run, "--resume"))
    assert "started with other settings" in line and "learning_rate: 1.0 there" in line
    assert sorted(p.name for p in run.iterdir()) == ["checkpoints", "run_config.json"]

def test_an_interrupted_run_is_not_trained_over_without_a_flag(data_dir, tmp_path):
    run = tmp_path / "run"
    (run / "checkpoints" / "checkpoint-6").mkdir(parents=True)
    line = one_line(train(data_dir, run))
    assert "unfinished run" in line and "--resume" in line and "--overwrite" in line
    assert (run / "checkpoints" / "checkpoint-6").is_dir()

def test_overwrite_moves_the_old_run_aside(data_dir, tmp_path):
    run = tmp_path / "run"
    (run / "checkpoints" / "checkpoint-900").mkdir(parents=True)     # a later --resume must not find this one
    (run / "null_odds.json").write_text("{}")                        # a v1 rerun must not read as v2
    (run / "metrics.json").write_text('{"f1": 70.0}')
    result = train(data_dir, run, "--overwrite")
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"was moved to {tmp_path / 'run.previous'}" in result.stdout
    assert not (run / "null_odds.json").exists()
    assert [p.name for p in (run / "checkpoints").iterdir()] == ["checkpoint-2"]
    assert json.loads((run / "run_config.json").read_text())["max_steps"] == 2
    assert json.loads((run / "metrics.json").read_text())["train_steps"] == 2
    previous = tmp_path / "run.previous"
    assert (previous / "metrics.json").read_text() == '{"f1": 70.0}' and (previous / "checkpoints" / "checkpoint-900").is_dir()
    # resuming the new run (finished, its last checkpoint kept) with the same options is allowed
    result = train(data_dir, run, "--resume")
    assert result.returncode == 0, result.stderr[-3000:]
