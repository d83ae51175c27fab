"""Issue 18, item 1: a question that leaves no room for the stride is refused with a ValueError (not a Rust panic)."""
import hashlib, json
import pytest
from transformers import AutoTokenizer
from extractive_qa.config import OFFLINE_MINILM, resolve_checkpoint
from extractive_qa.features import (MIN_NEW_CONTEXT_TOKENS, check_question_lengths, prepare_train_features,
                                    prepare_validation_features, tokenize_windows)

@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(resolve_checkpoint(OFFLINE_MINILM))

def question_of(n_tokens: int) -> str: return " ".join(["why"] * n_tokens)   # "why" is one token

CONTEXT = " ".join(f"w{i}" for i in range(800))

def test_question_is_one_token_per_word(tokenizer):
    assert len(tokenizer(question_of(300), add_special_tokens=False)["input_ids"]) == 300
    assert tokenizer.num_special_tokens_to_add(pair=True) == 3

@pytest.mark.parametrize("question_first", [True, False])
def test_raw_tokenizer_panics_without_the_check(tokenizer, question_first):
    "The call tokenize_windows makes crashes in Rust (a BaseException) on a 300-token question at 384/128."
    pair = (question_of(300), CONTEXT) if question_first else (CONTEXT, question_of(300))
    with pytest.raises(BaseException) as info:
        tokenizer(*pair, truncation="only_second" if question_first else "only_first", max_length=384, stride=128,
                  return_overflowing_tokens=True, return_offsets_mapping=True, padding=False)
    assert not isinstance(info.value, ValueError)   # a panic, which the CLI's ValueError handler would miss

@pytest.mark.parametrize("question_first", [True, False])
@pytest.mark.parametrize("prepare", [tokenize_windows, prepare_train_features, prepare_validation_features])
def test_long_question_raises_value_error(tokenizer, question_first, prepare):
    limit = 384 - 128 - 3 - MIN_NEW_CONTEXT_TOKENS
    examples = {"id": ["ok", "long"], "question": ["Who?", question_of(300)], "context": [CONTEXT, CONTEXT],
                "answers": [{"text": [], "answer_start": []}] * 2}
    with pytest.raises(ValueError) as info:
        prepare(examples, tokenizer, 384, 128, question_first=question_first)
    message = str(info.value)
    for part in (f"limit of {limit}", "Question 1 of the batch", "300 tokens", "'why why", "max_length=384", "doc_stride=128",
                 "Raise max_length, lower doc_stride, or shorten the question"):
        assert part in message, (part, message)

@pytest.mark.parametrize("question_first", [True, False])
def test_near_limit_question_is_refused_or_bounded(tokenizer, question_first):
    "64/16 and a 44-token question made 812 windows of an 800-token context (one new token each): now refused."
    with pytest.raises(ValueError, match="limit of 37"):
        tokenize_windows({"question": [question_of(44)], "context": [CONTEXT]}, tokenizer, 64, 16, question_first)
    at_limit = tokenize_windows({"question": [question_of(37)], "context": [CONTEXT]}, tokenizer, 64, 16, question_first)
    context_tokens = len(tokenizer(CONTEXT, add_special_tokens=False)["input_ids"])
    assert len(at_limit["input_ids"]) <= context_tokens // MIN_NEW_CONTEXT_TOKENS + 1

def test_limit_is_exact(tokenizer):
    check_question_lengths([question_of(245)], tokenizer, 384, 128)
    with pytest.raises(ValueError, match="246 tokens"): check_question_lengths([question_of(246)], tokenizer, 384, 128)
    check_question_lengths([], tokenizer, 384, 128)   # nothing to check

def test_normal_questions_give_unchanged_features(tokenizer):
    "Fingerprints of the features computed before the check was added (commit 03bbfa4's features.py)."
    context = ("The Normans were the people who in the 10th and 11th centuries gave their name to Normandy, a region in "
               "France. They were descended from Norse raiders and pirates from Denmark, Iceland and Norway who, under "
               "their leader Rollo, agreed to swear fealty to King Charles III of West Francia. ") * 6
    examples = {"id": ["a", "b", "c"],
                "question": ["In what country is Normandy located?", "  Who was the Norse leader?",
                             "When were the Normans in Normandy?"],
                "context": [context, context[:300], context],
                "answers": [{"text": ["France"], "answer_start": [context.index("France")]},
                            {"text": ["Rollo"], "answer_start": [context.index("Rollo")]},
                            {"text": [], "answer_start": []}]}
    expected = {"384/128/True": (3, "3a882f282e5aaad0"), "384/128/False": (3, "38b392853874751f"),
                "64/16/True": (22, "4eaab44bc623560f"), "64/16/False": (22, "dfdbb1a4caa88d04"),
                "192/64/True": (7, "1359fb23d0305f94"), "192/64/False": (7, "6a06d6466a03c1f7")}
    for key, want in expected.items():
        max_length, doc_stride, question_first = int(key.split("/")[0]), int(key.split("/")[1]), key.endswith("True")
        train = prepare_train_features(examples, tokenizer, max_length, doc_stride, question_first=question_first)
        valid = prepare_validation_features(examples, tokenizer, max_length, doc_stride, question_first=question_first)
        blob = json.dumps([train["input_ids"], train["start_positions"], train["end_positions"], valid["input_ids"],
                           valid["offset_mapping"], valid["example_id"]])
        assert (len(train["input_ids"]), hashlib.sha256(blob.encode()).hexdigest()[:16]) == want, key
