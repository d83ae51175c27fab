"""The command line end to end: train on a small slice, score, answer, and errors that say what to do."""
import json
from pathlib import Path
import pandas as pd
import pytest
from conftest import run_cli

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

def test_score_hand_made_case(tmp_path):
    squad = {"version": "1.1", "data": [{"title": "T", "paragraphs": [{"context": "Denver Broncos beat the Carolina Panthers 24-10.",
             "qas": [{"id": "1", "question": "Who won?", "answers": [{"text": "Denver Broncos", "answer_start": 0}, {"text": "Broncos", "answer_start": 7}]},
                     {"id": "2", "question": "Who lost?", "answers": [{"text": "Carolina Panthers", "answer_start": 24}]},
                     {"id": "3", "question": "Score?", "answers": [{"text": "24-10", "answer_start": 42}]}]}]}]}
    (tmp_path / "dev.json").write_text(json.dumps(squad))
    # 1: exact after normalisation ("the" and punctuation dropped); 2: F1 = 2*(1*0.5)/(1.5) = 2/3; 3: missing -> 0
    (tmp_path / "pred.json").write_text(json.dumps({"1": "The Broncos!", "2": "Panthers"}))
    scores = json.loads(run_cli("score", tmp_path / "dev.json", tmp_path / "pred.json").stdout)
    assert scores["exact_match"] == pytest.approx(100 / 3)
    assert scores["f1"] == pytest.approx(100 * (1 + 2 / 3 + 0) / 3)

def test_answer_from_file_and_inline(smoke_run, tmp_path):
    context = "The Amazon flows into the Atlantic Ocean. It was explored by Francisco de Orellana in 1542."
    (tmp_path / "story.txt").write_text(context, encoding="utf-8")
    for source in (["--context-file", tmp_path / "story.txt"], ["--context", context]):
        answers = json.loads(run_cli("answer", "--model", smoke_run / "model", "--question", "Who explored it?", *source, "--top-k", 2).stdout)
        assert 1 <= len(answers) <= 2
        assert context[answers[0]["start"]:answers[0]["end"]] == answers[0]["answer"]

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
