#!/usr/bin/env bash
# The project's test command (called by `make test` and CI). Fails on the first problem.
set -euo pipefail
cd "$(dirname "$0")/.."

# How many tests pytest skipped and why, from its JUnit XML ($1), as a banner; fails when EXTRACTIVE_QA_DATA_DIR is set
# and tests that need the data skipped anyway (a wrong folder must not pass as a green run).
# `bash scripts/test.sh --report-skips FILE.xml` runs this step alone.
report_skips() {
  python - "$1" <<'PY'
import collections, os, sys, xml.etree.ElementTree as ET
cases = list(ET.parse(sys.argv[1]).getroot().iter("testcase"))
skipped = collections.Counter(skip.get("message") or "(no reason given)" for case in cases for skip in case.findall("skipped"))
failed = sum(case.find("failure") is not None or case.find("error") is not None for case in cases)
total = sum(skipped.values())
needs_data = sum(count for reason, count in skipped.items() if "EXTRACTIVE_QA_DATA_DIR" in reason)
data_dir = os.environ.get("EXTRACTIVE_QA_DATA_DIR", "")
line = "#" * 100
print(line)
print(f"# pytest: {len(cases)} tests: {len(cases) - total - failed} passed, {failed} failed, {total} SKIPPED")
for reason, count in skipped.most_common(): print(f"#   {count:4} skipped: {reason}")
if needs_data and not data_dir:
    print(f"# WARNING: {needs_data} tests that train and score on SQuAD did NOT run: no local data. Set EXTRACTIVE_QA_DATA_DIR to")
    print("#          the folder holding squad_v1/validation.parquet (make test does, when ../shared/data/squad exists).")
print(line)
if needs_data and data_dir:
    sys.exit(f"FAIL: EXTRACTIVE_QA_DATA_DIR={data_dir} is set, but {needs_data} tests that need the data skipped: "
             "it does not point at a folder with squad_v1/validation.parquet.")
PY
}
if [ "${1:-}" = "--report-skips" ]; then report_skips "$2"; exit 0; fi
export EXTRACTIVE_QA_PROFILE="${EXTRACTIVE_QA_PROFILE:-smoke}"
scratch=$(mktemp -d); trap 'rm -rf "$scratch"' EXIT

echo "== 1. notebooks and package agree (nbdev_export changes nothing)"
cp -r extractive_qa "$scratch/package"
nbdev_export
if ! diff -r -x __pycache__ "$scratch/package" extractive_qa; then
  echo "FAIL: extractive_qa/ is out of sync with nbs/. Run nbdev_export and commit both."; exit 1; fi

echo "== 2. notebooks are clean (nbdev_clean changes nothing)"
cp -r nbs "$scratch/nbs"
nbdev_clean
if ! diff -r -x runs -x .ipynb_checkpoints "$scratch/nbs" nbs >/dev/null; then
  diff -r -x runs -x .ipynb_checkpoints "$scratch/nbs" nbs | head -20
  echo "FAIL: notebooks were not cleaned. Run nbdev_clean and commit."; exit 1; fi

echo "== 3. README.md is the rendering of nbs/index.ipynb"
python scripts/render_readme.py > "$scratch/README.md"
if ! diff -q "$scratch/README.md" README.md >/dev/null; then
  diff "$scratch/README.md" README.md | head -20
  echo "FAIL: README.md is stale. Run \`make readme\` and commit."; exit 1; fi

echo "== 4. every notebook runs top to bottom (profile: $EXTRACTIVE_QA_PROFILE)"
nbdev_test --n_workers 1 --do_print

echo "== 5. benchmarks, smoke versions"
bash scripts/bench.sh --smoke

echo "== 6. the sdist builds a wheel, which installs with its dependencies in a fresh environment and runs"
python -m build --no-isolation --outdir "$scratch/dist" . >"$scratch/build.log" 2>&1 || {
  tail -30 "$scratch/build.log"; echo "FAIL: building the sdist, or the wheel from the sdist, failed (MANIFEST.in, setup.py)."; exit 1; }
python -m venv "$scratch/venv"
"$scratch/venv/bin/python" -m pip install -q torch==2.13.0   # the CPU wheel first, so no CUDA build is pulled
"$scratch/venv/bin/python" -m pip install -q "$scratch"/dist/*.whl
(cd "$scratch" && "$scratch/venv/bin/extractive-qa" --help >/dev/null && "$scratch/venv/bin/extractive-qa" train --help >/dev/null \
   && "$scratch/venv/bin/python" -c "import extractive_qa.training, extractive_qa.inference, extractive_qa.scoring") || {
  echo "FAIL: the wheel installed in a fresh environment does not run (a requirement missing from settings.ini?)"; exit 1; }
echo "ok: $(ls "$scratch"/dist | tr '\n' ' ')"

echo "== 7. pytest: CLI end to end, scoring, installed package, JupyterLab, hub fallback, sdist/wheel"
pytest_status=0
python -m pytest -q -rs tests --junitxml="$scratch/pytest.xml" || pytest_status=$?
report_skips "$scratch/pytest.xml"      # the skip count, loudly, last; fails if the data was set but not used
exit "$pytest_status"
