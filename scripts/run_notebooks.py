"""Execute notebooks in place and keep their outputs, as `nbdev_test` runs them (`#| eval: false` cells skipped).

    EXTRACTIVE_QA_PROFILE=cpu python scripts/run_notebooks.py [nbs/01_data.ipynb ...]   (then run nbdev_clean)

Without arguments: every notebook of nbs/, 03_training first (it trains the run the others read), then in order
(00_first_answer ... 95_appendix_..., index last), each in its own
process (a fresh kernel), stopping at the first error. Prints how long each notebook took; `make notebooks` runs this on the cpu profile, then `nbdev_clean`."""
import json, os, subprocess, sys, time
from pathlib import Path
from execnb.shell import CaptureShell
from fastcore.xtras import working_directory

def skipped(cell) -> bool:
    "True for code cells marked `#| eval: false`."
    return cell.cell_type == "code" and any(line.replace(" ", "").lower() == "#|eval:false" for line in cell.source.splitlines())

TRAINS_FIRST = "03_training.ipynb"   # trains the run that every other notebook reads, so it runs first

def course_notebooks(folder: Path) -> list[Path]:
    "The notebooks of `folder`: `03_training` first (it trains the run the others read), then reading order, `index` last; no `_` drafts."
    return sorted((p for p in folder.glob("*.ipynb") if not p.name.startswith("_")),
                  key=lambda p: (p.name != TRAINS_FIRST, not p.name[0].isdigit(), p.name))

def clear_outputs(path: Path) -> None:
    "Empty every code cell's outputs first: execnb only replaces the outputs of cells that print something new."
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code": cell["outputs"], cell["execution_count"] = [], None
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")

def run(path: Path) -> float:
    "Execute the notebook at `path` in its own folder, saving outputs in place; return the seconds it took."
    start = time.perf_counter()
    clear_outputs(path)
    with working_directory(path.parent):
        CaptureShell(path).execute(path.name, path.name, exc_stop=True, preproc=skipped)
    return time.perf_counter() - start

if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    paths = [Path(p).resolve() for p in sys.argv[1:]] or course_notebooks(root / "nbs")
    profile = os.environ.get("EXTRACTIVE_QA_PROFILE", "auto")
    total = 0.0
    if len(paths) > 1:  # each notebook in its own process, like a fresh kernel (and like nbdev_test): no state leaks between them
        for path in paths:
            began = time.perf_counter()
            if subprocess.run([sys.executable, __file__, str(path)]).returncode: sys.exit(f"{path.name} failed: stopped")
            total += time.perf_counter() - began
        print(f"{len(paths)} notebook(s) in {total / 60:.1f} min on profile {profile}", flush=True)
        sys.exit(0)
    for path in paths:
        print(f"running {path.name} (profile {profile}) ...", flush=True)
        seconds = run(path)
        total += seconds
        print(f"{path.name}: {seconds / 60:.1f} min ({seconds:.0f} s)", flush=True)
    print(f"{len(paths)} notebook(s) in {total / 60:.1f} min on profile {profile}", flush=True)
