"""One trained model per student in Colab (issue 17): a run kept on a fake Google Drive is found by the next notebook.

Each step runs in its own Python process, with its own working folder and home folder, as each Colab notebook gets a
fresh machine; what they share is the Drive folder. `google.colab` is a stand-in module, and `COLAB_DRIVE` (where Colab
mounts Drive) points at a temporary folder. The first process trains a real (tiny) run the way 03_training does."""
import json, os, subprocess, sys, textwrap
from pathlib import Path
import pytest

COLAB = """
import importlib.machinery, sys, types
from pathlib import Path
colab = types.ModuleType("google.colab")                           # Colab, simulated (with a spec, as importlib expects)
colab.__spec__ = importlib.machinery.ModuleSpec("google.colab", None)
sys.modules["google.colab"] = colab
import extractive_qa.config
extractive_qa.config.COLAB_DRIVE = Path({drive!r})                 # where Colab would mount Drive
extractive_qa.config.project_root = lambda: None                   # Colab installs the package: no checkout there
from extractive_qa import training
from extractive_qa.config import get_config, run_dir
"""

def colab_process(machine: Path, drive: Path, code: str, data_dir: Path) -> subprocess.CompletedProcess:
    "Run `code` in a fresh process: simulated Colab, `machine` as working and home folder, `drive` as the Drive mount."
    machine.mkdir(parents=True, exist_ok=True)
    env = {**{k: v for k, v in os.environ.items() if k != "EXTRACTIVE_QA_HOME"}, "HOME": str(machine),
           "EXTRACTIVE_QA_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    script = COLAB.format(drive=str(drive)) + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=machine, env=env)

SETTINGS = "profile='smoke', max_train_examples=32, max_eval_examples=8, max_steps=2, train_batch_size=8, max_device_batch_size=8"

def test_a_run_on_drive_is_found_by_the_next_notebook_without_training(data_dir, tmp_path):
    drive = tmp_path / "MyDrive"
    drive.mkdir()
    first = colab_process(tmp_path / "machine1", drive, f"""
        config = get_config({SETTINGS})
        training.train_and_evaluate(config, verbose=False)        # 03_training's run
        print(training.keep_run(config))
        print("RUN", run_dir(config))
        """, data_dir)
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-3000:]
    run = drive / "extractive_qa" / "runs" / "smoke"
    assert f"RUN {run}" in first.stdout and (run / "metrics.json").is_file(), first.stdout[-2000:]
    assert "Your run is in runs/smoke (Google Drive (MyDrive/extractive_qa)): the next notebooks load it from there." in first.stdout
    assert not (tmp_path / "machine1" / "runs").exists() and not (tmp_path / "machine1" / "extractive_qa").exists()

    second = colab_process(tmp_path / "machine2", drive, f"""
        def no_training(*args, **kwargs): raise AssertionError("the next notebook trained again")
        training.train_and_evaluate = no_training
        from extractive_qa.inference import QuestionAnswerer
        config = get_config({SETTINGS})
        model = training.trained_model_dir(config)                # 04_logits and the others
        print("MODEL", model)
        answer = QuestionAnswerer.from_pretrained(model)("Who built it?", "Gustave Eiffel's company built it.")
        print("ANSWERED", bool(answer))
        """, data_dir)
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-3000:]
    assert f"MODEL {run / 'model'}" in second.stdout and "ANSWERED True" in second.stdout, second.stdout
    assert "No trained run" not in second.stdout

def test_without_drive_a_notebook_says_what_training_costs_before_it_trains(data_dir, tmp_path):
    result = colab_process(tmp_path / "machine", tmp_path / "drive-not-mounted", f"""
        def stop(*args, **kwargs): print("TRAINING STARTS", flush=True); raise SystemExit(3)
        training.train_and_evaluate = stop
        training.trained_model_dir(get_config({SETTINGS}))
        """, data_dir)
    assert result.returncode == 3, result.stdout + result.stderr[-3000:]
    notice, starts = result.stdout.index("No trained run in runs/smoke (~/extractive_qa)"), result.stdout.index("TRAINING STARTS")
    assert notice < starts, result.stdout
    said = result.stdout[notice:starts]
    assert "this notebook trains the smoke profile's model now" in said and "with no time budget" in said, said
    assert "mount Google Drive (the first cell) or log in to the hub before 03_training" in said, said
