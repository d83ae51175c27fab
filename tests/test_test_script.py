"""scripts/test.sh's skip report (issue 18.12): `make test` must say loudly how many tests skipped and why, and fail when
EXTRACTIVE_QA_DATA_DIR is set but the tests that need the data skipped anyway."""
import os, subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "test.sh"
DATA_SKIP = "EXTRACTIVE_QA_DATA_DIR does not point at a folder with squad_v1/validation.parquet"


def junit(tmp_path: Path, data_skips: int, other_skips: int = 1) -> Path:
    "A JUnit XML like pytest's: three passed tests, `data_skips` skipped for want of data, `other_skips` for another reason."
    cases = ['<testcase classname="tests.test_a" name="test_ok_%d" time="0.1"/>' % i for i in range(3)]
    cases += [f'<testcase classname="tests.test_cli" name="test_data_{i}" time="0"><skipped type="pytest.skip" '
              f'message="{DATA_SKIP}">conftest.py:11: {DATA_SKIP}</skipped></testcase>' for i in range(data_skips)]
    cases += [f'<testcase classname="tests.test_x" name="test_onnx_{i}" time="0"><skipped type="pytest.skip" '
              f'message="could not import \'onnx\'">skip</skipped></testcase>' for i in range(other_skips)]
    path = tmp_path / "pytest.xml"
    path.write_text('<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">' + "".join(cases)
                    + "</testsuite></testsuites>")
    return path


def report(xml: Path, data_dir: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "EXTRACTIVE_QA_DATA_DIR"}
    if data_dir is not None: env["EXTRACTIVE_QA_DATA_DIR"] = data_dir
    return subprocess.run(["bash", str(SCRIPT), "--report-skips", str(xml)], capture_output=True, text=True, env=env)


def test_skips_are_counted_loudly_without_data(tmp_path):
    result = report(junit(tmp_path, data_skips=45), data_dir="")
    assert result.returncode == 0, result.stderr
    assert "6 tests" not in result.stdout and "49 tests: 3 passed, 0 failed, 46 SKIPPED" in result.stdout, result.stdout
    assert f"45 skipped: {DATA_SKIP}" in result.stdout and "1 skipped: could not import 'onnx'" in result.stdout
    assert "WARNING: 45 tests that train and score on SQuAD did NOT run" in result.stdout


def test_data_dir_set_but_data_tests_skipped_fails(tmp_path):
    result = report(junit(tmp_path, data_skips=2), data_dir=str(tmp_path / "wrong"))
    assert result.returncode != 0
    assert "FAIL: EXTRACTIVE_QA_DATA_DIR=" in result.stderr and "2 tests that need the data skipped" in result.stderr, result.stderr


def test_data_dir_set_and_nothing_skipped_for_want_of_data_passes(tmp_path):
    result = report(junit(tmp_path, data_skips=0), data_dir=str(tmp_path))
    assert result.returncode == 0 and "4 tests: 3 passed, 0 failed, 1 SKIPPED" in result.stdout and "WARNING" not in result.stdout


def test_pytest_runs_with_the_skip_summary_and_the_report():
    "The script's pytest step asks pytest for its skip reasons (-rs) and the JUnit XML the report reads."
    text = SCRIPT.read_text()
    assert "python -m pytest -q -rs tests --junitxml=" in text and 'report_skips "$scratch/pytest.xml"' in text
