"""The command line end to end: train on a small slice, score, answer, export, and errors that say what to do."""
import dataclasses, json, shutil, subprocess, sys, typing
from pathlib import Path
import pandas as pd
import pytest
from conftest import run_cli
from extractive_qa import cli
from extractive_qa.config import PROFILES, QAConfig, get_config

def test_train_writes_every_output(smoke_run):
    for name in ("metrics.json", "predictions.json", "nbest_predictions.json", "loss_curve.png", "log_history.json",
                 "model/model.safetensors", "model/tokenizer.json", "model/config.json"):
        assert (smoke_run / name).is_file(), name
    metrics = json.loads((smoke_run / "metrics.json").read_text())
    for key in ("exact_match", "f1", "examples", "features", "train_seconds", "profile", "model"):
        assert key in metrics, key
    assert metrics["profile"] == "smoke" and metrics["examples"] == 24 and metrics["features"] >= 24
    assert metrics["train_steps"] == 4
    predictions = json.loads((smoke_run / "predictions.json").read_text())
    assert len(predictions) == 24 and all(isinstance(v, str) for v in predictions.values())
    assert not list(smoke_run.glob("**/.*.tmp*")), "temporary files left behind"

# ---- options generated from QAConfig -------------------------------------------------------------------------------

def _sample_option(field: dataclasses.Field, hint) -> tuple[list[str], object]:
    "Command-line words that set `field` to a value different from its default, and that value."
    option = cli.option_name(field.name)
    if hint is bool: return ([f"--no-{option[2:]}"], False) if field.default else ([option], True)
    if type(None) in typing.get_args(hint): return [option, "none"], None
    if hint is int: return [option, "7"], 7
    if hint is float: return [option, "0.25"], 0.25
    return [option, "some-text"], "some-text"

def test_every_config_field_is_a_train_option():
    "Each QAConfig field (but `profile`, which has its own option) parses from the shell into exactly that override."
    parser, hints = cli.build_parser("smoke"), typing.get_type_hints(QAConfig)
    fields = [f for f in dataclasses.fields(QAConfig) if f.name != "profile"]
    assert len(fields) >= 30
    for field in fields:
        words, value = _sample_option(field, hints[field.name])
        args = parser.parse_args(["train", *words])
        assert cli.config_overrides(args) == {field.name: value}, field.name
    assert cli.config_overrides(parser.parse_args(["train"])) == {}, "an option not typed must not override the profile"

def test_old_aliases_still_work():
    args = cli.build_parser().parse_args(["train", "--model", "m", "--epochs", "0.5", "--batch-size", "8"])
    assert cli.config_overrides(args) == dict(model_checkpoint="m", num_train_epochs=0.5, train_batch_size=8)

def test_explicit_none_wins_over_profile_and_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("EXTRACTIVE_QA_DATA_DIR", str(tmp_path))
    parse = lambda *words: cli.train_config(cli.build_parser().parse_args(["train", "--profile", "cpu", *words]))
    assert parse().data_dir == str(tmp_path) and parse().max_train_examples == PROFILES["cpu"]["max_train_examples"]
    config = parse("--data-dir", "none", "--max-train-examples", "none", "--no-group-by-length", "--max-length", "256")
    assert (config.data_dir, config.max_train_examples, config.group_by_length, config.max_length) == (None, None, False, 256)

def test_help_shows_the_profile_values_and_field_comments():
    help_of = lambda profile: " ".join(run_cli("train", "--profile", profile, "--help").stdout.split())
    cpu, smoke = help_of("cpu"), help_of("smoke")
    for field in dataclasses.fields(QAConfig): assert cli.option_name(field.name) in cpu, field.name
    assert "tokens per evaluation/inference window [384]" in cpu
    assert "tokens per evaluation/inference window [256]" in smoke
    assert f"random training examples to use; None: the whole split [{PROFILES['cpu']['max_train_examples']}]" in cpu
    assert "--model-checkpoint CHECKPOINT, --model CHECKPOINT" in cpu and "--epochs" in cpu and "--batch-size" in cpu

# ---- validation before anything heavy ------------------------------------------------------------------------------

ISOLATED = """
import json, sys
from extractive_qa.cli import main
code = main(sys.argv[1:])
print(json.dumps(dict(code=code, heavy=[m for m in ("torch", "transformers", "datasets") if m in sys.modules])))
"""

def run_main_isolated(*args) -> tuple[dict, str]:
    "Run `cli.main(args)` in a fresh interpreter: its exit code, the heavy libraries it imported, and its stderr."
    result = subprocess.run([sys.executable, "-c", ISOLATED, *map(str, args)], capture_output=True, text=True)
    assert result.stdout.strip(), result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr

ANSWER = ["answer", "--model", "/no/such/model", "--question", "Who?", "--context", "Ann did."]
TRAIN = ["train", "--profile", "smoke", "--model", "/no/such/model", "--output-dir", "/no/such/run"]

@pytest.mark.parametrize("args, option, allowed", [
    (TRAIN + ["--max-train-examples", "0"], "--max-train-examples=0", "at least 1"),
    (TRAIN + ["--max-eval-examples", "-5"], "--max-eval-examples=-5", "at least 1"),
    (TRAIN + ["--max-length", "16"], "--max-length=16", "at least 32"),
    (TRAIN + ["--doc-stride", "96"], "--doc-stride=96", "use 0 to 95"),
    (TRAIN + ["--eval-doc-stride", "-1"], "--eval-doc-stride=-1", "use 0 to"),
    (TRAIN + ["--batch-size", "0"], "--train-batch-size=0", "at least 1"),
    (TRAIN + ["--eval-batch-size", "0"], "--eval-batch-size=0", "at least 1"),
    (TRAIN + ["--learning-rate", "3"], "--learning-rate=3.0", "between 0 and 1"),
    (TRAIN + ["--warmup-fraction", "1"], "--warmup-fraction=1.0", "0 <= fraction < 1"),
    (TRAIN + ["--epochs", "0"], "--num-train-epochs=0.0", "above 0"),
    (TRAIN + ["--max-steps", "0"], "--max-steps=0", "at least 1"),
    (TRAIN + ["--precision", "fp8"], "--precision='fp8'", "auto, fp32, fp16, bf16"),
    (ANSWER + ["--top-k", "0"], "--top-k=0", "at least 1"),
    (ANSWER + ["--max-answer-length", "0"], "--max-answer-length=0", "at least 1"),
    (ANSWER + ["--max-length", "256", "--doc-stride", "128"], "--doc-stride=128", "use 0 to 127"),
])
def test_out_of_range_fails_in_one_line_naming_the_option(args, option, allowed):
    "The message names the option and its range, before any model, data set or heavy library loads."
    outcome, stderr = run_main_isolated(*args)
    assert outcome["code"] == 2, stderr
    assert option in stderr and allowed in stderr, stderr
    assert len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr, stderr
    assert "/no/such/model" not in stderr, "the model must not be looked at before the options are checked"
    assert outcome["heavy"] == [], f"imported {outcome['heavy']} before rejecting the options"

def test_wrong_type_is_argparse_error():
    result = run_cli("train", "--max-train-examples", "many", check=False)
    assert result.returncode == 2 and "invalid int-or-none value: 'many'" in result.stderr

def test_data_file_without_squad_columns(tmp_path):
    pd.DataFrame({"id": ["1"], "text": ["no question, no context"]}).to_parquet(tmp_path / "notes.parquet")
    (tmp_path / "pred.json").write_text(json.dumps({"1": "x"}))
    result = run_cli("score", tmp_path / "notes.parquet", tmp_path / "pred.json", check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "notes.parquet" in result.stderr and "answers" in result.stderr and "question" in result.stderr, result.stderr

def test_programming_errors_keep_their_traceback(monkeypatch, tmp_path):
    "A TypeError from a library is a bug to report, not a user error to print in one line."
    import extractive_qa.scoring
    def broken(*args, **kwargs): raise TypeError("bug inside a library")
    monkeypatch.setattr(extractive_qa.scoring, "score_predictions", broken)
    (tmp_path / "dev.json").write_text(json.dumps(SQUAD_V1))
    (tmp_path / "pred.json").write_text("{}")
    with pytest.raises(TypeError, match="bug inside a library"):
        cli.main(["score", str(tmp_path / "dev.json"), str(tmp_path / "pred.json")])

# ---- score -------------------------------------------------------------------------------------------------------

def test_score_agrees_with_metrics(smoke_run, data_dir, tmp_path):
    "Scoring the run's predictions on exactly its evaluation subset reproduces metrics.json."
    predictions = json.loads((smoke_run / "predictions.json").read_text())
    dev = pd.read_parquet(data_dir / "squad_v1" / "validation.parquet")
    subset = dev[dev["id"].isin(predictions)]
    subset.to_parquet(tmp_path / "subset.parquet")
    scores = json.loads(run_cli("score", tmp_path / "subset.parquet", smoke_run / "predictions.json").stdout)
    metrics = json.loads((smoke_run / "metrics.json").read_text())
    assert scores["exact_match"] == pytest.approx(metrics["exact_match"])
    assert scores["f1"] == pytest.approx(metrics["f1"])

SQUAD_V1 = {"version": "1.1", "data": [{"title": "T", "paragraphs": [{"context": "Denver Broncos beat the Carolina Panthers 24-10.",
            "qas": [{"id": "1", "question": "Who won?", "answers": [{"text": "Denver Broncos", "answer_start": 0}, {"text": "Broncos", "answer_start": 7}]},
                    {"id": "2", "question": "Who lost?", "answers": [{"text": "Carolina Panthers", "answer_start": 24}]},
                    {"id": "3", "question": "Score?", "answers": [{"text": "24-10", "answer_start": 42}]}]}]}]}

def test_score_hand_made_case(tmp_path):
    (tmp_path / "dev.json").write_text(json.dumps(SQUAD_V1))
    # 1: exact after normalisation ("the" and punctuation dropped); 2: F1 = 2*(1*0.5)/(1.5) = 2/3; 3: missing -> 0
    (tmp_path / "pred.json").write_text(json.dumps({"1": "The Broncos!", "2": "Panthers"}))
    scores = json.loads(run_cli("score", tmp_path / "dev.json", tmp_path / "pred.json").stdout)
    assert scores["exact_match"] == pytest.approx(100 / 3)
    assert scores["f1"] == pytest.approx(100 * (1 + 2 / 3 + 0) / 3)

def test_score_ignores_unknown_prediction_ids_with_a_warning(tmp_path):
    "Like the official script: ids that are not questions of the references are ignored, and the warning counts them."
    (tmp_path / "dev.json").write_text(json.dumps(SQUAD_V1))
    (tmp_path / "pred.json").write_text(json.dumps({"1": "Broncos", "2": "Carolina Panthers", "3": "24-10", "x1": "a", "x2": "b"}))
    result = run_cli("score", tmp_path / "dev.json", tmp_path / "pred.json", check=False)
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)                          # stdout stays one JSON object
    assert scores["exact_match"] == pytest.approx(100.0)
    assert "2" in result.stderr and "ignor" in result.stderr.lower(), result.stderr

SQUAD_V2 = {"version": "v2.0", "data": [{"title": "T", "paragraphs": [{"context": "Denver Broncos beat the Carolina Panthers 24-10.",
            "qas": [{"id": "a", "question": "Who won?", "is_impossible": False, "answers": [{"text": "Denver Broncos", "answer_start": 0}]},
                    {"id": "b", "question": "Who won in 1990?", "is_impossible": True, "answers": []}]}]}]}

def test_score_version_2_with_na_probs(tmp_path):
    "Official v2 rules through the CLI: the answer for 'b' is wrong at threshold 1.0, right at the best threshold."
    (tmp_path / "dev.json").write_text(json.dumps(SQUAD_V2))
    (tmp_path / "pred.json").write_text(json.dumps({"a": "Denver Broncos", "b": "Carolina Panthers"}))
    (tmp_path / "na.json").write_text(json.dumps({"a": 0.1, "b": 0.9}))
    scores = json.loads(run_cli("score", tmp_path / "dev.json", tmp_path / "pred.json", "--version-2",
                                "--na-probs", tmp_path / "na.json").stdout)
    assert scores["exact"] == pytest.approx(50.0) and scores["exact_match"] == pytest.approx(50.0)
    assert scores["HasAns_exact"] == pytest.approx(100.0) and scores["NoAns_exact"] == pytest.approx(0.0)
    assert scores["HasAns_total"] == 1 and scores["NoAns_total"] == 1
    # best threshold: abstain on 'b' (na prob 0.9 > 0.1), keep 'a' -> both right
    assert scores["best_exact"] == pytest.approx(100.0) and scores["best_exact_thresh"] == pytest.approx(0.1)
    result = run_cli("score", tmp_path / "dev.json", tmp_path / "pred.json", "--na-probs", tmp_path / "na.json", check=False)
    assert result.returncode == 2 and "--version-2" in result.stderr

# ---- answer and export ---------------------------------------------------------------------------------------------

CONTEXT = "The Amazon flows into the Atlantic Ocean. It was explored by Francisco de Orellana in 1542."

def test_answer_from_file_and_inline(smoke_run, tmp_path):
    (tmp_path / "story.txt").write_text(CONTEXT, encoding="utf-8")
    for source in (["--context-file", tmp_path / "story.txt"], ["--context", CONTEXT]):
        answers = json.loads(run_cli("answer", "--model", smoke_run / "model", "--question", "Who explored it?", *source, "--top-k", 2).stdout)
        assert 1 <= len(answers) <= 2
        assert CONTEXT[answers[0]["start"]:answers[0]["end"]] == answers[0]["answer"]

def test_answer_reads_version_2_settings_from_the_model_folder(smoke_run, tmp_path):
    "A model folder saved as SQuAD 2.0 abstains through `answer`; options typed on the command line win over the file."
    model = tmp_path / "v2_model"
    shutil.copytree(smoke_run / "model", model)
    settings = json.loads((model / "qa_settings.json").read_text()) if (model / "qa_settings.json").exists() else {}
    settings.update(version_2=True, null_score_diff_threshold=-1e6)   # always prefer the empty answer
    (model / "qa_settings.json").write_text(json.dumps(settings))
    ask = lambda *options: json.loads(run_cli("answer", "--model", model, "--question", "Who explored it?",
                                              "--context", CONTEXT, *options).stdout)
    assert ask()[0]["answer"] == "", "the saved SQuAD 2.0 settings were not used"
    for options in (["--null-score-diff-threshold", "1e6"], ["--no-version-2"]):
        answer = ask(*options)[0]
        assert answer["answer"] and CONTEXT[answer["start"]:answer["end"]] == answer["answer"], options

def test_export_then_answer_with_onnx(smoke_run, tmp_path):
    for package in ("onnx", "onnxruntime"):
        pytest.importorskip(package, reason=f"`export` needs the onnx extra ({package} is not installed)")
    exported = tmp_path / "onnx"
    run_cli("export", "--model", smoke_run / "model", "--output", exported)
    assert (exported / "model.onnx").is_file() and (exported / "qa_settings.json").is_file()
    ask = lambda model, *extra: json.loads(run_cli("answer", "--model", model, "--question", "Who explored it?", "--context", CONTEXT,
                                                   *extra).stdout)[0]
    onnx_answer, torch_answer = ask(exported), ask(smoke_run / "model", "--precision", "fp32")   # both in fp32
    assert onnx_answer["answer"] == torch_answer["answer"]
    assert onnx_answer["score"] == pytest.approx(torch_answer["score"], abs=1e-3)

def test_export_errors(tmp_path):
    result = run_cli("export", "--model", tmp_path / "nothing", "--output", tmp_path / "out", check=False)
    assert result.returncode == 2 and "No model in" in result.stderr and "Traceback" not in result.stderr

# ---- errors ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["score", "/no/dev.json", "/no/pred.json"], "not found"),
    (["answer", "--model", "/no/model", "--question", "Q?", "--context", "text"], "No model in"),
    (["answer", "--model", "/no/model", "--question", "  ", "--context", "text"], "question 0 is empty"),
    (["train", "--profile", "tpu"], "Unknown profile"),
    (["train", "--profile", "smoke", "--data-dir", "/no/such/dir"], "/no/such/dir"),
])
def test_errors_are_one_clear_line(args, message):
    result = run_cli(*args, check=False)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr

def test_score_names_the_data_file_first_when_both_are_missing():
    result = run_cli("score", "/no/dev.json", "/no/pred.json", check=False)
    assert result.returncode == 2 and "/no/dev.json" in result.stderr and "/no/pred.json" not in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr

def test_train_offline_without_local_data_is_one_line(tmp_path):
    "No data folder and offline: one line naming the fix, at once, and no output folder left behind."
    import os, time
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    env.pop("EXTRACTIVE_QA_DATA_DIR", None)
    began = time.monotonic()
    result = run_cli("train", "--profile", "smoke", "--output-dir", tmp_path / "run", check=False, env=env)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "EXTRACTIVE_QA_DATA_DIR" in result.stderr and "--data-dir" in result.stderr and "go online" in result.stderr
    assert time.monotonic() - began < 20, "the check must come before any download attempt"
    assert not (tmp_path / "run").exists()

def test_train_without_local_data_asks_the_hub_when_online(monkeypatch):
    "Online (offline mode off, the hub answering), no data folder is fine: the hub is the data source."
    monkeypatch.setattr(cli, "hub_reachable", lambda: True)
    cli.check_data_source(get_config("smoke", data_dir=None))          # no error
    monkeypatch.setattr(cli, "hub_reachable", lambda: False)
    with pytest.raises(FileNotFoundError, match="hub is unreachable"): cli.check_data_source(get_config("smoke", data_dir=None))

def test_non_utf8_context_file(tmp_path, smoke_run):
    (tmp_path / "latin1.txt").write_bytes("Café au lait".encode("latin-1"))
    result = run_cli("answer", "--model", smoke_run / "model", "--question", "What?", "--context-file", tmp_path / "latin1.txt", check=False)
    assert result.returncode == 2 and "not UTF-8" in result.stderr

def test_finished_run_is_not_overwritten(smoke_run, data_dir):
    before = (smoke_run / "metrics.json").read_bytes()
    result = run_cli("train", "--profile", "smoke", "--data-dir", data_dir, "--output-dir", smoke_run, check=False)
    assert result.returncode == 2 and "--overwrite" in result.stderr
    assert (smoke_run / "metrics.json").read_bytes() == before

def test_document_of_100k_characters(smoke_run):
    "A 100,000-character document is split into many windows, batched, and answered with a consistent span."
    from extractive_qa.inference import QuestionAnswerer
    sentence = "The committee met on a rainy Tuesday to discuss the budget of the old library. "
    document = (sentence * (100_000 // len(sentence) + 1))[:100_000]
    answerer = QuestionAnswerer.from_pretrained(smoke_run / "model", batch_size=16)
    answers = answerer("When did the committee meet?", document, top_k=3)
    assert 1 <= len(answers) <= 3
    for answer in answers: assert document[answer["start"]:answer["end"]] == answer["answer"]

# ---- issue 18: bad input ends in one line ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def panic_exception() -> type:
    """The tokenizers library's `pyo3_runtime.PanicException`, caught from a real panic of the raw tokenizer (features'
    `check_question_lengths` now refuses such a question before tokenizing): a question that leaves no room for the stride."""
    from transformers import AutoTokenizer
    from extractive_qa.config import OFFLINE_MINILM, resolve_checkpoint
    tokenizer = AutoTokenizer.from_pretrained(resolve_checkpoint(OFFLINE_MINILM))
    try: tokenizer(["word " * 300], ["Some context. " * 50], truncation="only_second", max_length=384, stride=128,
                   return_overflowing_tokens=True, return_offsets_mapping=True)
    except BaseException as error:
        if type(error).__name__ != "PanicException": raise
        return type(error)
    pytest.skip("this tokenizers release no longer panics on a question that leaves no room: nothing for main's handler to catch")

def test_tokenizer_panic_is_one_line_and_nothing_else_is_swallowed(panic_exception, monkeypatch, capsys):
    "Issue 18.1: the Rust panic (a BaseException) becomes one line naming the likely cause; Ctrl-C and SystemExit go on."
    assert issubclass(panic_exception, BaseException) and not issubclass(panic_exception, Exception)
    def panicking(args): raise panic_exception("`stride` must be strictly less than `max_len=81` (note that `max_len` may be ...")
    monkeypatch.setattr(cli, "answer_command", panicking)
    ask = ["answer", "--model", "m", "--question", "Q?", "--context", "C"]
    assert cli.main(ask) == 2
    stderr = capsys.readouterr().err
    assert len(stderr.strip().splitlines()) == 1 and stderr.startswith("extractive-qa answer: error:"), stderr
    for words in ("question too long", "--max-length", "--doc-stride", "shorten the question", "max_len=81"): assert words in stderr, words
    for other in (KeyboardInterrupt, SystemExit, GeneratorExit):
        def raising(args, other=other): raise other()
        monkeypatch.setattr(cli, "answer_command", raising)
        with pytest.raises(other): cli.main(ask)

def test_question_too_long_for_the_window_end_to_end(smoke_run):
    "Issue 18.1: a ~300-token question at max_length 384 / doc_stride 128 ends in one line of ours, not a Python traceback."
    question = " ".join(["word"] * 300) + "?"
    result = run_cli("answer", "--model", smoke_run / "model", "--question", question, "--context", CONTEXT * 20,
                     "--max-length", 384, "--doc-stride", 128, check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("extractive-qa answer: error:") and "question" in last, result.stderr
    assert "max-length" in last or "max_length" in last, last

@pytest.mark.parametrize("content, problem", [("[384, 128]", "must hold a JSON object {setting: value}, not a list"),
                                              ('{"max_length": 384,', "is not valid UTF-8 JSON")])
def test_broken_qa_settings_is_one_line_naming_the_file(tmp_path, content, problem):
    "Issue 18.3: qa_settings.json holding a list, or cut short, is named with what is wrong (was an AttributeError / a bare JSON message)."
    from extractive_qa.config import read_qa_settings
    (tmp_path / "qa_settings.json").write_text(content)
    with pytest.raises(ValueError, match="qa_settings.json"): read_qa_settings(tmp_path)
    for args in (["answer", "--model", tmp_path, "--question", "Who?", "--context", "Ann did."],
                 ["export", "--model", tmp_path, "--output", tmp_path / "out"]):
        outcome, stderr = run_main_isolated(*args)
        assert outcome["code"] == 2 and len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr, stderr
        if args[0] == "answer": assert f"{tmp_path / 'qa_settings.json'}" in stderr and problem in stderr, stderr

def _model_folder(folder: Path, *names: str) -> Path:
    "A model folder holding only `names`, linked from the offline MiniLM (real weights and vocabulary); `model.onnx` is empty."
    from extractive_qa.config import OFFLINE_MINILM, resolve_checkpoint
    folder.mkdir()
    for name in names:
        if name == "model.onnx": (folder / name).write_bytes(b"")
        else: (folder / name).symlink_to(Path(resolve_checkpoint(OFFLINE_MINILM)) / name)
    return folder

@pytest.mark.parametrize("names, lacks", [(("config.json", "tokenizer.json", "vocab.txt"), "has a config.json but no weights"),
                                          (("config.json", "model.safetensors"), "has no tokenizer files"),
                                          (("model.onnx",), "has no tokenizer files")], ids=["no-weights", "no-tokenizer", "onnx-no-tokenizer"])
@pytest.mark.parametrize("command", ["answer", "export"])
def test_model_folder_missing_files_is_one_line(tmp_path, names, lacks, command):
    "Issue 18.3: weights or tokenizer files missing: one line naming the folder and what it lacks (a traceback, or without a "
    "tokenizer a silent [UNK]-only answer, before), and export leaves no output folder behind."
    model = _model_folder(tmp_path / "model", *names)
    if command == "answer": args = ["answer", "--model", model, "--question", "Who did it?", "--context", "Ann did it."]
    else: args = ["export", "--model", model, "--output", tmp_path / "out"]
    result = run_cli(*args, check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    if command == "export" and names == ("model.onnx",): lacks = "config.json missing"    # export needs the PyTorch model
    assert len(result.stderr.strip().splitlines()) == 1 and str(model) in result.stderr and lacks in result.stderr, result.stderr
    assert not (tmp_path / "out").exists()

def test_score_names_version_2_option_on_squad_2_data(tmp_path):
    "Issue 18.6: SQuAD 2.0 data without --version-2 names the option (it told a CLI user to call squad_v2_scores(...))."
    (tmp_path / "dev.json").write_text(json.dumps(SQUAD_V2))
    (tmp_path / "pred.json").write_text(json.dumps({"a": "Denver Broncos", "b": ""}))
    result = run_cli("score", tmp_path / "dev.json", tmp_path / "pred.json", check=False)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "--version-2" in result.stderr and "squad_v2_scores" not in result.stderr and "'b'" in result.stderr, result.stderr

@pytest.mark.parametrize("name", ["empty.json", "empty.parquet"])
def test_score_file_without_questions(tmp_path, name):
    "Issue 18.6: {'data': []} (and a parquet file with no rows) says the file holds no questions, in one line."
    if name.endswith(".json"): (tmp_path / name).write_text(json.dumps({"data": []}))
    else: pd.DataFrame({column: pd.Series([], dtype=object) for column in ("id", "title", "context", "question", "answers")}).to_parquet(tmp_path / name)
    (tmp_path / "pred.json").write_text("{}")
    result = run_cli("score", tmp_path / name, tmp_path / "pred.json", check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and f"{name} holds no questions" in result.stderr, result.stderr
