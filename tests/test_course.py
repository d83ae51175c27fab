"""The course as a student meets it: the shape of the committed notebooks (issue 16, "A way in").

These read the committed notebooks (sources, metadata and outputs) without running them: the first lesson answers
a question in its first code cells, engineering lives in appendices, solutions are hidden in JupyterLab and Colab,
every notebook's Colab install cell points at the repository settings.ini names, and no output shows a machine
path or comes from the smoke profile."""
import configparser, json, re
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT / "nbs"
NOTEBOOKS = sorted(NBS.glob("*.ipynb"))
LESSONS = [p for p in NOTEBOOKS if re.match(r"0\d_", p.name)]
APPENDICES = [p for p in NOTEBOOKS if re.match(r"9\d_", p.name)]

def cells(path: Path) -> list[dict]:
    "The cells of the notebook at `path`, each with its source joined into one string."
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return [{**cell, "source": "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]}
            for cell in notebook["cells"]]

def code_cells(path: Path) -> list[dict]:
    return [cell for cell in cells(path) if cell["cell_type"] == "code"]

def output_text(cell: dict) -> str:
    "Everything a code cell shows as text: streams, plain text and HTML results, tracebacks."
    parts = []
    for output in cell.get("outputs", []):
        parts.append("".join(output.get("text", "")))
        for kind in ("text/plain", "text/html", "text/markdown"):
            parts.append("".join(output.get("data", {}).get(kind, "")))
        parts.append("\n".join(output.get("traceback", [])))
    return "\n".join(parts)

def test_course_layout():
    names = [p.name for p in NOTEBOOKS]
    assert "00_first_answer.ipynb" in names and "index.ipynb" in names, names
    assert {"90_appendix_config.ipynb", "92_appendix_cli.ipynb"} <= set(names), "config and CLI are appendices"
    assert not {"00_config.ipynb", "08_cli.ipynb"} & set(names), "config and CLI are no longer lessons"
    assert all(p.name.startswith(tuple(f"9{i}_appendix_" for i in range(10))) for p in APPENDICES), APPENDICES
    assert len(LESSONS) >= 9, LESSONS

def test_first_lesson_answers_in_its_first_six_code_cells():
    first_six = "\n".join(cell["source"] for cell in code_cells(NBS / "00_first_answer.ipynb")[:6])
    assert "show_answers(" in first_six and "course_answerer(" in first_six, first_six
    shown = "\n".join(output_text(cell) for cell in code_cells(NBS / "00_first_answer.ipynb")[:6])
    assert "<mark" in shown, "the committed output of the first lesson shows no highlighted answer"

@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_colab_install_cell_names_the_repository(path):
    settings = configparser.ConfigParser()
    settings.read(ROOT / "settings.ini")
    url = settings["DEFAULT"]["git_url"]
    install = [cell["source"] for cell in code_cells(path) if "google.colab" in cell["source"] and "pip" in cell["source"]]
    assert install, f"{path.name} has no Colab install cell"
    assert f"extractive_qa[course] @ git+{url}" in install[0], (path.name, install[0])
    assert install[0].lstrip().startswith("#| eval: false"), "the install cell must not run in nbdev_test"
    assert code_cells(path)[0]["source"] == install[0], f"{path.name}: the install cell must be the first code cell"

@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_exercises_and_hidden_solutions(path):
    notebook = cells(path)
    headings = [cell["source"] for cell in notebook if cell["cell_type"] == "markdown"]
    assert any("## Exercises" in h for h in headings) and any("## Solutions" in h for h in headings), path.name
    solutions = [cell for cell in notebook if cell["cell_type"] == "code" and cell["source"].startswith("#@title Solution")]
    assert solutions, f"{path.name}: no solution cell (first line `#@title Solution ...`)"
    for cell in solutions:
        assert cell["metadata"].get("jupyter", {}).get("source_hidden") is True, (path.name, cell["source"][:60])
        assert cell["metadata"].get("cellView") == "form", (path.name, cell["source"][:60])
        assert "test_fail(" in cell["source"], f"{path.name}: a solution must show that its check rejects a wrong answer"
    stubs = [cell for cell in notebook if cell["cell_type"] == "code" and "raise NotImplementedError" in cell["source"]
             and "except NotImplementedError" not in cell["source"] and not cell["source"].startswith("#@title")]  # not the checks
    assert stubs, f"{path.name}: no exercise stub raising NotImplementedError"
    for stub in stubs:
        shown = output_text(stub)
        assert "not attempted" in shown, f"{path.name}: the committed stub must print that it is not attempted yet: {shown!r}"
    assert not any("code-fold" in cell["source"] for cell in notebook), f"{path.name}: `#| code-fold` hides nothing in Jupyter"
    solutions_at = next(i for i, cell in enumerate(notebook) if cell["cell_type"] == "markdown" and "## Solutions" in cell["source"])
    for cell in notebook[solutions_at + 1:]:
        if cell["cell_type"] == "markdown":    # a written answer: collapsed by <details> in JupyterLab, Colab and GitHub alike
            assert cell["source"].lstrip().startswith("<details>"), f"{path.name}: answer shown before the student asks: {cell['source'][:80]!r}"

@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_outputs_show_no_machine_paths(path):
    for number, cell in enumerate(code_cells(path)):
        shown = output_text(cell)
        found = re.findall(r"(?:/work/|/tmp/|/root/|/home/|/private/var/)\S*", shown)
        assert not found, f"{path.name}, code cell {number}: machine path(s) in the committed output: {found[:3]}"

@pytest.mark.parametrize("path", LESSONS + [NBS / "index.ipynb"], ids=lambda p: p.name)
def test_outputs_come_from_a_trained_profile(path):
    for number, cell in enumerate(code_cells(path)):
        assert "profile smoke" not in output_text(cell), f"{path.name}, code cell {number}: committed output from the smoke profile"

def test_readme_headline_is_the_notebooks_run():
    "results/cpu_metrics.json is the run the notebooks show: the 00 lesson's model line quotes its EM and F1."
    metrics = json.loads((ROOT / "results" / "cpu_metrics.json").read_text())
    first = "\n".join(output_text(cell) for cell in code_cells(NBS / "00_first_answer.ipynb")[:6])
    assert f"EM {metrics['exact_match']:.1f}, F1 {metrics['f1']:.1f}" in first, (metrics["exact_match"], metrics["f1"], first[:300])
    assert "/work/" not in json.dumps(metrics), "results/ is committed: no machine paths"
