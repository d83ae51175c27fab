"""Shared fixtures: the data directory (from EXTRACTIVE_QA_DATA_DIR) and a small trained smoke run."""
import os, subprocess, sys, json
from pathlib import Path
import pytest

DATA_DIR = os.environ.get("EXTRACTIVE_QA_DATA_DIR")

@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not DATA_DIR or not Path(DATA_DIR, "squad_v1", "validation.parquet").is_file():
        pytest.skip("EXTRACTIVE_QA_DATA_DIR does not point at a folder with squad_v1/validation.parquet")
    return Path(DATA_DIR)

def run_cli(*args, check=True, **kwargs) -> subprocess.CompletedProcess:
    "Run the installed `extractive-qa` console script."
    exe = Path(sys.executable).with_name("extractive-qa")
    result = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"extractive-qa {' '.join(map(str, args))} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result

@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory, data_dir) -> Path:
    "A tiny end-to-end `extractive-qa train` run (smoke profile, a slice of SQuAD, a few steps)."
    output = tmp_path_factory.mktemp("run") / "smoke"
    run_cli("train", "--profile", "smoke", "--data-dir", data_dir, "--output-dir", output,
            "--max-train-examples", 64, "--max-eval-examples", 24, "--max-steps", 4, "--batch-size", 8)
    return output
