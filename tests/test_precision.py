"""Inference precision (issue 19, item 2): `precision="auto"` answers in bf16 only where the hardware has it and the model's
bf16 answers were checked at training; the check's figures land in metrics.json and its verdict in qa_settings.json."""
import json
import pytest
from conftest import run_cli
from extractive_qa import config as config_module
from extractive_qa.config import BF16_AGREEMENT, cpu_supports_bf16, read_qa_settings
from extractive_qa.inference import QuestionAnswerer

def test_training_records_the_bf16_check(smoke_run):
    metrics = json.loads((smoke_run / "metrics.json").read_text())
    check, saved = metrics["bf16_check"], read_qa_settings(smoke_run / "model")
    if not cpu_supports_bf16():
        assert check is None and "bf16_verified" not in saved
        return
    assert check["questions"] == metrics["examples"] and check["f1_fp32"] == pytest.approx(metrics["f1"], abs=1e-3)
    assert check["f1_change"] == pytest.approx(check["f1_bf16"] - check["f1_fp32"], abs=2e-3)
    expected = (check["identical_answers_percent"] >= BF16_AGREEMENT["min_identical_percent"]
                and abs(check["f1_change"]) <= BF16_AGREEMENT["max_f1_change"])
    assert check["verified"] == expected and saved["bf16_verified"] == expected

def test_auto_follows_the_check_and_the_hardware(smoke_run, monkeypatch):
    answerer = QuestionAnswerer.from_pretrained(smoke_run / "model")
    verified = read_qa_settings(smoke_run / "model").get("bf16_verified", False)
    assert answerer.bf16_verified == verified
    assert answerer.compute_precision == ("bf16" if verified and cpu_supports_bf16() else "fp32")
    monkeypatch.setattr(config_module, "cpu_supports_bf16", lambda: False)      # a CPU without bf16: never bf16 by itself
    assert QuestionAnswerer.from_pretrained(smoke_run / "model", bf16_verified=True).compute_precision == "fp32"
    monkeypatch.setattr(config_module, "cpu_supports_bf16", lambda: True)
    assert QuestionAnswerer.from_pretrained(smoke_run / "model", bf16_verified=True).compute_precision == "bf16"
    assert QuestionAnswerer.from_pretrained(smoke_run / "model", bf16_verified=False).compute_precision == "fp32"
    assert QuestionAnswerer.from_pretrained(smoke_run / "model", precision="fp32", bf16_verified=True).compute_precision == "fp32"

def test_bf16_answers_are_answers(smoke_run):
    context = "The Amazon flows for about 6,400 kilometres from the Andes to the Atlantic Ocean."
    fp32 = QuestionAnswerer.from_pretrained(smoke_run / "model", precision="fp32")("Where does the Amazon flow to?", context, top_k=3)
    bf16 = QuestionAnswerer.from_pretrained(smoke_run / "model", precision="bf16")("Where does the Amazon flow to?", context, top_k=3)
    assert len(bf16) == len(fp32) == 3
    for answer in bf16: assert context[answer["start"]:answer["end"]] == answer["answer"]
    assert [a["score"] for a in bf16] != [a["score"] for a in fp32]        # bf16 did run: its scores are rounded differently
    assert abs(bf16[0]["score"] - fp32[0]["score"]) < 1.0

def test_precision_option_of_answer(smoke_run):
    result = run_cli("answer", "--model", smoke_run / "model", "--question", "Who?", "--context", "Ann did.", "--precision", "fp16",
                     check=False)
    assert result.returncode == 2 and "invalid choice: 'fp16'" in result.stderr
    result = run_cli("answer", "--model", smoke_run / "model", "--question", "Who did?", "--context", "Ann did.", "--precision", "fp32")
    assert json.loads(result.stdout)[0]["answer"] in {"Ann", "Ann did", "Ann did.", "did", "did."}
    with pytest.raises(ValueError, match="use one of auto, fp32, bf16"):
        QuestionAnswerer.from_pretrained(smoke_run / "model", precision="fp16")
