"""A clone without ../shared: no data directory means SQuAD from the hub, online.

The hub is mocked only at the download call (`datasets.load_dataset`), so everything
after it (checks, sampling, windows, training, evaluation) is the real code path."""
import json, os, shutil, subprocess
from pathlib import Path
import pyarrow.parquet as pq
import pytest
import datasets
from datasets import Dataset, DatasetDict, Features
import extractive_qa.data
import extractive_qa.cli
from extractive_qa.cli import main

ROOT = Path(__file__).resolve().parent.parent

def first_rows(path: Path, count: int) -> Dataset:
    "The first `count` rows of a hub-schema parquet file, with the hub's features."
    table = pq.read_table(path).slice(0, count)
    return Dataset.from_dict(table.to_pydict(), features=Features.from_arrow_schema(table.schema))

def test_train_without_a_data_directory_uses_the_hub(monkeypatch, tmp_path, data_dir):
    hub = DatasetDict(train=first_rows(data_dir / "squad_v1" / "train.parquet", 200),
                      validation=first_rows(data_dir / "squad_v1" / "validation.parquet", 60))
    downloads = []
    def load_dataset(path, *args, split=None, **kwargs):
        "Stands in for the download from the Hugging Face hub."
        downloads.append(path)
        assert path == "rajpurkar/squad", f"a run without data directory must download SQuAD, not read {path!r}"
        return hub[split] if split else hub
    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    monkeypatch.setattr(extractive_qa.data, "load_dataset", load_dataset, raising=False)  # if imported by name
    monkeypatch.setattr(extractive_qa.cli, "hub_reachable", lambda: True)  # online, as far as the early check can tell
    monkeypatch.delenv("EXTRACTIVE_QA_DATA_DIR", raising=False)     # a clone with no ../shared and nothing configured
    run = tmp_path / "run"
    code = main(["train", "--profile", "smoke", "--max-steps", "2", "--max-train-examples", "32", "--max-eval-examples", "8",
                 "--batch-size", "8", "--output-dir", str(run)])
    assert code == 0
    assert downloads and set(downloads) == {"rajpurkar/squad"}
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["config"]["data_dir"] is None and metrics["examples"] == 8 and metrics["train_steps"] == 2
    assert set(json.loads((run / "predictions.json").read_text())) <= set(hub["validation"]["id"])

def make_train_line(repo: Path) -> str:
    "The command `make -n train` would run in `repo`, with no data directory configured in the environment."
    env = {k: v for k, v in os.environ.items() if k not in ("EXTRACTIVE_QA_DATA_DIR", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")}
    printed = subprocess.run(["make", "-n", "train"], cwd=repo, env=env, capture_output=True, text=True, check=True).stdout
    return next(line for line in printed.splitlines() if "extractive-qa train" in line)

def test_make_train_goes_online_only_without_local_data(tmp_path):
    if shutil.which("make") is None: pytest.skip("make is not installed")
    repo = tmp_path / "clone" / "extractive_qa"
    repo.mkdir(parents=True)
    for name in ("Makefile", "settings.ini", "setup.py"): shutil.copy(ROOT / name, repo / name)
    alone = make_train_line(repo)                                   # no ../shared beside the clone
    assert "HF_HUB_OFFLINE" not in alone and "HF_DATASETS_OFFLINE" not in alone, alone
    assert "EXTRACTIVE_QA_DATA_DIR= " in alone, alone               # emptied: get_config reads None, the hub
    shared = tmp_path / "clone" / "shared" / "data" / "squad"
    shared.mkdir(parents=True)
    beside = make_train_line(repo)                                  # ../shared/data/squad exists: local and offline
    assert f"EXTRACTIVE_QA_DATA_DIR={shared}" in beside and "HF_HUB_OFFLINE=1" in beside, beside
