"""The virtual environment that holds transformers 5.2.0 (the last release with `pipeline("question-answering")`),
created once and reused: the inference benchmark runs the pipeline there, and the scoring tests run the reference
SQuAD scripts there (`tests/scoring_reference.py`). Importing this module changes nothing (no environment variables)."""
from __future__ import annotations
import json, os, subprocess, sys, time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PIPELINE_VERSION = "5.2.0"
VENV_VARIABLE = "EXTRACTIVE_QA_PIPELINE_VENV"  # e.g. a folder outside the clone, so that fresh clones reuse one environment
PIPELINE_REQUIREMENTS = (("torch==2.13.0",),  # alone first: the CPU wheel, before transformers could pull a CUDA build
                         (f"transformers=={PIPELINE_VERSION}", "huggingface_hub<2", "tokenizers<=0.23.0"))


def default_venv() -> Path:
    "The environment's folder: `$EXTRACTIVE_QA_PIPELINE_VENV`, else bench/.venv-pipeline."
    return Path(os.environ.get(VENV_VARIABLE) or HERE / ".venv-pipeline")


def pip_install(python: Path, requirements, venv: Path) -> None:
    "pip install `requirements` with `python`; on failure, exit naming the environment and showing pip's output."
    done = subprocess.run([str(python), "-m", "pip", "install", "-q", *requirements], capture_output=True, text=True)
    if done.returncode != 0:  # pip's output only when it failed (it warns about every unused index otherwise)
        sys.exit(f"pip install {' '.join(requirements)} into {venv} failed:\n{done.stdout}\n{done.stderr}")


def pipeline_python(venv: Path) -> tuple[Path, dict]:
    "The Python of the pipeline's virtual environment, created and installed unless a finished install is there."
    python, marker = venv / "bin" / "python", venv / ".bench-requirements.json"
    wanted = json.dumps(PIPELINE_REQUIREMENTS)
    started, created = time.perf_counter(), False
    if not (python.is_file() and marker.is_file() and marker.read_text() == wanted):
        print(f"creating the pipeline's virtual environment in {venv} (once; later runs reuse it) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        for requirements in PIPELINE_REQUIREMENTS: pip_install(python, requirements, venv)
        marker.write_text(wanted)
        created = True
    return python, dict(path=str(venv), created=created, seconds=round(time.perf_counter() - started, 1),
                        requirements=[r for group in PIPELINE_REQUIREMENTS for r in group])
