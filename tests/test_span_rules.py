"""Boundary rules of labels and span search, each at its exact edge (issue 18.10): an answer at character 0 and at a window's
first context token, the answer's end character, an answer of exactly `max_answer_length` tokens, the null score as the
minimum over windows, null odds exactly at the threshold, and `top_k` above `n_best_size`. No data set needed."""
import numpy as np
import pytest
from transformers import AutoTokenizer

from extractive_qa.config import OFFLINE_MINILM, resolve_checkpoint
from extractive_qa.features import answer_token_span, context_token_range, prepare_train_features, tokenize_windows
from extractive_qa.inference import QuestionAnswerer
from extractive_qa.postprocess import (best_span_loop, postprocess_predictions, postprocess_predictions_loop,
                                       postprocess_with_details)


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(resolve_checkpoint(OFFLINE_MINILM))


def labelled_text(examples: dict, features, i: int) -> str | None:
    "The context text that window `i`'s start/end labels point at, or None when the window is labelled 'no answer' ([CLS])."
    start, end = features["start_positions"][i], features["end_positions"][i]
    if start == end == 0: return None
    offsets = features["offset_mapping"][i]
    return examples["context"][features["example_index"][i]][offsets[start][0]:offsets[end][1]]


# ---- labels (features.py) ---------------------------------------------------------------------------------------------

def test_answer_span_at_the_first_context_token_by_hand():
    "Offsets of [CLS] q [SEP] 'Paris is the' [SEP]: an answer starting at character 0 starts at the first context token."
    offsets = [(0, 0), (0, 4), (0, 0), (0, 5), (6, 8), (9, 12), (0, 0)]
    assert answer_token_span(offsets, 3, 5, 0, 5) == (3, 3)        # 'Paris'
    assert answer_token_span(offsets, 3, 5, 0, 12) == (3, 5)       # 'Paris is the', up to the last context token
    assert answer_token_span(offsets, 4, 5, 0, 5) is None          # a window starting after the answer


def test_answer_at_character_0_gets_its_label(tokenizer):
    context = "Paris is the capital and the largest city of France."
    examples = {"id": ["q"], "question": ["What is the capital of France?"], "context": [context],
                "answers": [{"text": ["Paris"], "answer_start": [0]}]}
    features = prepare_train_features(examples, tokenizer, max_length=64, doc_stride=16, keep_offsets=True)
    first, _ = context_token_range(features.sequence_ids(0), 1)
    assert (features["start_positions"][0], features["end_positions"][0]) == (first, first)
    assert labelled_text(examples, features, 0) == "Paris"


def test_answer_at_the_first_context_token_of_a_later_window(tokenizer):
    "The answer is the first context token of window 2 (not character 0): window 2 labels it, window 1 does too."
    words = ("river mountain castle garden bridge forest harbour valley meadow tower island desert canyon lake village "
             "market temple palace field orchard").split()
    context = " ".join(words * 3) + "."
    question = "Which place?"
    bare = {"id": ["q"], "question": [question], "context": [context]}
    windows = tokenize_windows(bare, tokenizer, max_length=40, doc_stride=16)
    assert len(windows["input_ids"]) >= 3, "the test needs several windows"
    first, _ = context_token_range(windows.sequence_ids(1), 1)
    start_char, end_char = windows["offset_mapping"][1][first]
    answer = context[start_char:end_char]
    assert answer in words and start_char > 0
    examples = {**bare, "answers": [{"text": [answer], "answer_start": [start_char]}]}
    features = prepare_train_features(examples, tokenizer, max_length=40, doc_stride=16, keep_offsets=True)
    assert (features["start_positions"][1], features["end_positions"][1]) == (first, first)
    assert labelled_text(examples, features, 1) == answer
    assert labelled_text(examples, features, 0) == answer          # window 1 ends 16 tokens into window 2


@pytest.mark.parametrize("context, answer", [
    ("The final score was 3-0. Denver won the game.", "3-0"),     # ends in a one-character token, punctuation right after
    ("Denver won the game 3-0", "3-0"),                            # ... and at the very end of the context
    ("It cost 5$, he said.", "5$"),
])
def test_labels_end_at_the_answers_last_character(tokenizer, context, answer):
    "Start and end labels decode to exactly the answer: one character more or less would take in or drop a token."
    examples = {"id": ["q"], "question": ["What?"], "context": [context],
                "answers": [{"text": [answer], "answer_start": [context.index(answer)]}]}
    features = prepare_train_features(examples, tokenizer, max_length=64, doc_stride=16, keep_offsets=True)
    assert labelled_text(examples, features, 0) == answer


# ---- span search (postprocess.py) -------------------------------------------------------------------------------------

LETTERS = "a b c d e f g h i j k l m n o p q r s t u v w x y z"   # one token per letter: token k covers characters 2k-2..2k-1


def letter_window(example_id: str = "q", cls_logits: tuple[float, float] = (0.0, 0.0)) -> tuple[dict, list]:
    "A window [CLS] a b ... z [SEP] of `LETTERS` (its offsets, None outside the context) and zero logits with the given [CLS] pair."
    offsets = [None] + [(2 * k, 2 * k + 1) for k in range(26)] + [None]
    start, end = np.zeros(len(offsets), dtype=np.float32), np.zeros(len(offsets), dtype=np.float32)
    start[0], end[0] = cls_logits
    return dict(example_id=example_id, offset_mapping=offsets, cls_index=0), [start, end]


def features_of(*windows) -> tuple[dict, tuple[np.ndarray, np.ndarray]]:
    "Features (a dict of lists) and `(start_logits, end_logits)` of windows made by `letter_window`."
    features = {name: [w[0][name] for w in windows] for name in ("example_id", "offset_mapping", "cls_index")}
    return features, (np.stack([w[1][0] for w in windows]), np.stack([w[1][1] for w in windows]))


def answers_of_every_implementation(examples, features, logits, **settings) -> list[str]:
    "The answer to question 'q' from the loop, the vectorised search, and the detailed search."
    return [postprocess_predictions_loop(examples, features, logits, **settings)["q"],
            postprocess_predictions(examples, features, logits, **settings)["q"],
            postprocess_with_details(examples, features, logits, **settings).answers["q"]]


EXAMPLES = [{"id": "q", "context": LETTERS}]                 # a list of rows: every implementation takes that form


@pytest.mark.parametrize("max_answer_length", [1, 5, 26])
def test_an_answer_of_exactly_max_answer_length_tokens_is_allowed(max_answer_length):
    window = letter_window()
    length = max_answer_length
    window[1][0][1], window[1][1][length] = 10, 10               # start at 'a', end on the `length`-th letter
    features, logits = features_of(window)
    expected = LETTERS[:2 * length - 1]
    assert answers_of_every_implementation(EXAMPLES, features, logits, max_answer_length=max_answer_length) == [expected] * 3
    assert best_span_loop(logits[0][0], logits[1][0], features["offset_mapping"][0], 20, max_answer_length)[1:] == (1, length)


@pytest.mark.parametrize("max_answer_length", [1, 5])
def test_one_token_more_than_max_answer_length_is_not(max_answer_length):
    "The best pair is one token too long: the answer is the best pair that fits, max_answer_length tokens."
    window = letter_window()
    window[1][0][1] = 10                                           # start at 'a'
    window[1][1][max_answer_length + 1] = 10                       # best end: one token too far
    window[1][1][max_answer_length] = 5                            # next best end: exactly max_answer_length tokens
    features, logits = features_of(window)
    expected = LETTERS[:2 * max_answer_length - 1]
    assert answers_of_every_implementation(EXAMPLES, features, logits, max_answer_length=max_answer_length) == [expected] * 3


def test_null_score_is_the_minimum_over_the_windows():
    "Window 1's [CLS] scores 6, window 2's -4; the best span scores 2. Null odds: min(6, -4) - 2 = -6, so the span is the answer."
    window_1, window_2 = letter_window(cls_logits=(3, 3)), letter_window(cls_logits=(-2, -2))
    window_1[1][0][3], window_1[1][1][4] = 1, 1                    # best span 'c d', score 2, in window 1
    features, logits = features_of(window_1, window_2)
    settings = dict(version_2=True, null_score_diff_threshold=0.0)
    assert answers_of_every_implementation(EXAMPLES, features, logits, **settings) == ["c d"] * 3
    details = postprocess_with_details(EXAMPLES, features, logits, **settings)
    assert details.null_odds["q"] == pytest.approx(-6.0)
    null = [c for c in details.nbest["q"] if c["text"] == ""]
    assert len(null) == 1 and null[0]["score"] == pytest.approx(-4.0)


@pytest.mark.parametrize("threshold, cls_logits, answered", [
    (0.0, (2.0, 2.0), True),     # null 4, best span 4: odds 0 == threshold -> answer
    (0.0, (2.0, 2.5), False),    # odds 0.5 > 0 -> abstain
    (1.5, (3.0, 2.5), True),     # odds 1.5 == threshold -> answer
    (1.25, (3.0, 2.5), False),   # odds 1.5 > 1.25 -> abstain
])
def test_null_odds_exactly_at_the_threshold_answer(threshold, cls_logits, answered):
    """The official SQuAD 2.0 rule abstains only when the odds are *above* the threshold (evaluate-v2.0.py: `pred_na =
    na_probs[qid] > na_prob_thresh`; Hugging Face's run_qa: `score_diff > null_score_diff_threshold`), so odds equal to it answer."""
    window = letter_window(cls_logits=cls_logits)
    window[1][0][5], window[1][1][6] = 2, 2                        # best span 'e f', score 4 (exact in float32)
    features, logits = features_of(window)
    settings = dict(version_2=True, null_score_diff_threshold=threshold)
    assert answers_of_every_implementation(EXAMPLES, features, logits, **settings) == ["e f" if answered else ""] * 3
    assert postprocess_with_details(EXAMPLES, features, logits, **settings).null_odds["q"] == sum(cls_logits) - 4


# ---- QuestionAnswerer (inference.py) ----------------------------------------------------------------------------------

def test_top_k_above_n_best_size_gives_top_k_distinct_answers(tokenizer):
    "n_best_size 20, top_k 25: the search keeps 25 candidates, so 25 distinct spans come back, best first."
    context = ("The old library on the hill was built in 1890 by a group of farmers, teachers and merchants who wanted "
               "their children to read the books of the city, and it still opens every morning at nine.")
    def model(input_ids, **rest):                                   # a callable on numpy arrays, like an ONNX session
        positions = np.arange(input_ids.shape[1], dtype=np.float32)
        start = np.broadcast_to(np.cos(positions * 1.3) * 3, input_ids.shape)   # distinct values: no ties
        end = np.broadcast_to(np.sin(positions * 0.7) * 3, input_ids.shape)
        return start, end
    answerer = QuestionAnswerer(model, tokenizer, max_length=128, doc_stride=32, n_best_size=20)
    answers = answerer("Who built it?", context, top_k=25)
    assert len(answers) == 25
    spans = [(a["start"], a["end"]) for a in answers]
    assert len(set(spans)) == 25, "the answers must be distinct spans"
    assert all(context[a["start"]:a["end"]] == a["answer"] for a in answers)
    assert [a["score"] for a in answers] == sorted((a["score"] for a in answers), reverse=True)
    assert len(answerer("Who built it?", context, top_k=3)) == 3
