"""Execute notebooks in place and keep their outputs, as `nbdev_test` runs them (`#| eval: false` cells skipped).

    EXTRACTIVE_QA_PROFILE=smoke python scripts/run_notebooks.py [nbs/01_data.ipynb ...]   (then run nbdev_clean)
"""
import sys
from pathlib import Path
from execnb.shell import CaptureShell
from fastcore.xtras import working_directory

def skipped(cell) -> bool:
    "True for code cells marked `#| eval: false`."
    return cell.cell_type == "code" and any(line.replace(" ", "").lower() == "#|eval:false" for line in cell.source.splitlines())

root = Path(__file__).resolve().parent.parent
for path in [Path(p).resolve() for p in sys.argv[1:]] or sorted((root / "nbs").glob("*.ipynb")):
    print(f"running {path.name}", flush=True)
    with working_directory(path.parent):
        CaptureShell(path).execute(path.name, path.name, exc_stop=True, preproc=skipped)
