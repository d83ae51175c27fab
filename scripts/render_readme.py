"""Render nbs/index.ipynb to Markdown on stdout (nbdev_readme needs Quarto, which is not installable here).

Code cells marked `#| hide` or `#| eval: false` (the Colab install cell) are left out, `#|` directive lines are stripped, outputs are kept as Markdown (stderr, such as
progress bars, is dropped)."""
import re, sys, nbformat
from pathlib import Path
from nbconvert import MarkdownExporter

root = Path(__file__).resolve().parent.parent
notebook = nbformat.read(root / "nbs" / "index.ipynb", as_version=4)
cells = []
for cell in notebook.cells:
    lines = cell.source.splitlines()
    directives = [l.strip() for l in lines if l.strip().startswith("#|")]
    if cell.cell_type == "code" and any(d.replace(" ", "") in ("#|hide", "#|eval:false") for d in directives): continue  # hidden, or Colab's install cell
    cell.source = "\n".join(l for l in lines if not l.strip().startswith("#|")).strip("\n")
    if cell.cell_type == "code":  # progress bars and warnings (stderr) are not part of the page
        cell.outputs = [o for o in cell.outputs if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    if cell.cell_type == "code" and any(d.replace(" ", "") == "#|echo:false" for d in directives):
        cell.source = ""
    cells.append(cell)
notebook.cells = cells
body, _ = MarkdownExporter(exclude_input_prompt=True, exclude_output_prompt=True).from_notebook_node(notebook)
body = re.sub(r"```[a-z]*\n\s*```\n", "", body)           # the empty inputs of `#| echo: false` cells
body = re.sub(r"\n{3,}", "\n\n", body)
sys.stdout.write("<!-- Generated from nbs/index.ipynb by scripts/render_readme.py: edit the notebook, then run `make readme`. -->\n\n"
                 + "\n".join(line.rstrip() for line in body.strip().splitlines()) + "\n")
