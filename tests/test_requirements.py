"""Version bounds in settings.ini (issue 18.13, 18.14): the lower bound of torch supports the ONNX export call the package
makes, the majors the package was not written for are excluded, and every onnx extra has a lower bound that the
installed versions meet. No network: the bounds are read from settings.ini, the API from the installed packages."""
import configparser, inspect, shlex
from importlib import metadata
from pathlib import Path
import pytest
from packaging.requirements import Requirement
from packaging.version import Version

SETTINGS = Path(__file__).resolve().parent.parent / "settings.ini"
# torch.onnx.export(..., dynamo=...) first appeared in torch 2.5 (2.4 had only the separate torch.onnx.dynamo_export).
FIRST_TORCH_WITH_DYNAMO_KEYWORD = Version("2.5")


def requirements(key: str = "requirements") -> dict[str, Requirement]:
    "settings.ini's `key` line, parsed the way setup.py parses it (shlex), by package name."
    config = configparser.ConfigParser()
    config.read(SETTINGS)
    return {(r := Requirement(text)).name.lower(): r for text in shlex.split(config["DEFAULT"][key])}


def lower_bound(requirement: Requirement) -> Version | None:
    "The version after `>=` (or `==`, `~=`) in `requirement`, if any."
    bounds = [Version(s.version) for s in requirement.specifier if s.operator in (">=", "==", "~=")]
    return max(bounds) if bounds else None


def test_torch_lower_bound_supports_the_export_call_the_package_makes():
    "deployment.export_graph calls torch.onnx.export(..., dynamo=False): the keyword exists here and in the lowest torch allowed."
    import torch
    from extractive_qa import deployment
    assert "dynamo=False" in inspect.getsource(deployment.export_graph), "the export call changed: revisit this test and the bound"
    assert "dynamo" in inspect.signature(torch.onnx.export).parameters, f"torch {torch.__version__} has no dynamo= keyword"
    torch_requirement = requirements()["torch"]
    bound = lower_bound(torch_requirement)
    assert bound is not None and bound >= FIRST_TORCH_WITH_DYNAMO_KEYWORD, (
        f"settings.ini allows {torch_requirement}, but torch.onnx.export(..., dynamo=False) needs torch >= {FIRST_TORCH_WITH_DYNAMO_KEYWORD}")


@pytest.mark.parametrize("package, next_major", [("torch", "3"), ("accelerate", "2"), ("transformers", "6"), ("datasets", "6")])
def test_untested_major_versions_are_excluded(package, next_major):
    "The package relies on internals of these (Trainer hooks, accelerate's forward wrapper): a new major must be opted into."
    requirement = requirements()[package]
    assert not requirement.specifier.contains(f"{next_major}.0"), f"settings.ini's {requirement} allows {package} {next_major}"


@pytest.mark.parametrize("key", ["requirements", "onnx_requirements"])
def test_installed_versions_meet_the_bounds(key):
    "The environment the tests run in satisfies settings.ini (else the bounds describe something never tested)."
    for name, requirement in requirements(key).items():
        try: installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            if key == "onnx_requirements": continue        # an optional extra
            raise
        assert requirement.specifier.contains(installed, prereleases=True), f"{name} {installed} does not meet {requirement}"


def test_onnx_extra_has_lower_bounds():
    """Checked with this environment's torch and numpy 2: onnxruntime 1.18 does not import under numpy 2, 1.19 runs the export,
    int8 and inference tests; onnxscript (only for torch's dynamo exporter) needs onnx >= 1.17."""
    extra = requirements("onnx_requirements")
    assert set(extra) == {"onnx", "onnxruntime", "onnxscript"}
    bounds = {name: lower_bound(requirement) for name, requirement in extra.items()}
    assert all(bounds.values()), f"every onnx extra needs a lower bound: {bounds}"
    assert bounds["onnxruntime"] >= Version("1.19") and bounds["onnx"] >= Version("1.17"), bounds
