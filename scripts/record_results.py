"""Copy the notebooks' own cpu runs into results/ (what README.md's Results table reads), after `make notebooks`.

    python scripts/record_results.py            # runs/cpu -> results/cpu_*, runs/cpu-v2 -> results/cpu_v2_metrics.json

The README's headline row is then the run that the committed notebooks show. The data folder is recorded without
this machine's path (it says only that a local SQuAD folder was read)."""
import json, shutil, sys
from pathlib import Path
from extractive_qa.config import course_home

root = Path(__file__).resolve().parent.parent
RUNS = {"cpu": "cpu", "cpu-v2": "cpu_v2"}           # run folder under runs/ (the course folder) -> prefix of its files in results/
FILES = {"metrics.json": "metrics.json", "eval_curve.json": "eval_curve.json", "loss_curve.png": "loss_curve.png",
         "f1_curve.png": "f1_curve.png"}

def without_machine_paths(metrics: dict) -> dict:
    "`metrics` with the absolute data folder replaced by a description (results/ is committed)."
    config = dict(metrics.get("config", {}))
    if config.get("data_dir"): config["data_dir"] = "local SQuAD folder ($EXTRACTIVE_QA_DATA_DIR)"
    return {**metrics, "config": config} if "config" in metrics else metrics

def record(run: str, prefix: str) -> list[str]:
    "Copy the files of `runs/<run>` (in the course folder) into `results/<prefix>_<name>`; return what was written."
    folder, written = course_home() / "runs" / run, []
    if not (folder / "metrics.json").is_file(): return written
    for source, name in FILES.items():
        if not (folder / source).is_file(): continue
        target = root / "results" / f"{prefix}_{name}"
        if source == "metrics.json":
            target.write_text(json.dumps(without_machine_paths(json.loads((folder / source).read_text())), indent=2) + "\n")
        else: shutil.copyfile(folder / source, target)
        written.append(str(target.relative_to(root)))
    return written

if __name__ == "__main__":
    written = [path for run, prefix in RUNS.items() for path in record(run, prefix)]
    if not any(path.endswith("cpu_metrics.json") for path in written):
        sys.exit(f"No runs/cpu/metrics.json in {course_home()}: run `make notebooks` (03_training trains the cpu run) first.")
    print("recorded:", ", ".join(written))
