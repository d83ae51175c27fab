"""Nothing a user trained is lost: `trained_model_dir` trains only where there is no run at all (issue 18, item 8)."""
import json, shutil
import pytest
from extractive_qa import training
from extractive_qa.config import get_config

def _no_training(*args, **kwargs):
    raise AssertionError("trained_model_dir started a training run over an existing one")

def test_a_moved_model_is_not_retrained_over(smoke_run, tmp_path, monkeypatch):
    "A finished run whose model/ was moved away: before, it retrained with overwrite=True and replaced metrics.json."
    shutil.copy(smoke_run / "metrics.json", tmp_path / "metrics.json")
    monkeypatch.setattr(training, "train_and_evaluate", _no_training)
    config = get_config("smoke", output_dir=str(tmp_path))
    with pytest.raises(FileNotFoundError, match="model/config.json missing"): training.trained_model_dir(config)
    assert json.loads((tmp_path / "metrics.json").read_text()) == json.loads((smoke_run / "metrics.json").read_text())

def test_an_interrupted_run_is_not_retrained_over(tmp_path, monkeypatch):
    (tmp_path / "checkpoints" / "checkpoint-2").mkdir(parents=True)
    monkeypatch.setattr(training, "train_and_evaluate", _no_training)
    with pytest.raises(FileNotFoundError, match="--resume"):
        training.trained_model_dir(get_config("smoke", output_dir=str(tmp_path)))
    assert (tmp_path / "checkpoints" / "checkpoint-2").is_dir()

def test_no_run_at_all_trains_and_says_so_first(tmp_path, monkeypatch, capsys):
    calls = []
    def fake_training(config, **kwargs):
        calls.append(config.output_dir)
        (tmp_path / "run" / "model").mkdir(parents=True)
        (tmp_path / "run" / "model" / "config.json").write_text("{}")
        (tmp_path / "run" / "metrics.json").write_text(json.dumps({"config": config.to_dict()}))
    monkeypatch.setattr(training, "train_and_evaluate", fake_training)
    config = get_config("smoke", output_dir=str(tmp_path / "run"))
    assert training.trained_model_dir(config) == tmp_path / "run" / "model"
    assert calls == [config.output_dir]
    said = capsys.readouterr().out
    assert f"No trained run in {tmp_path / 'run'} ($EXTRACTIVE_QA_HOME" in said or f"No trained run in {tmp_path / 'run'} (" in said, said
    assert "this notebook trains the smoke profile's model now, 1 epoch(s) over 400 training questions on " in said, said
    assert said.index("No trained run") < said.index("Your run is in"), said     # said before training, kept after
