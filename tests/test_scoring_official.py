"""Cross-check `extractive_qa.scoring` against the reference SQuAD scorers, installed and called (`scoring_reference.py`):
the official v1.1 script as allennlp 0.9.0 ships it, and transformers 5.2.0's port of the official v2.0 script.

They run on the real dev sets, with synthetic predictions, and need `EXTRACTIVE_QA_DATA_DIR` to point at the folder
holding `squad_v1/validation.parquet` and `squad_v2/validation.parquet`; without it the tests are skipped. The first
test creates the reference environment if it is missing (that of `bench/bench_inference.py`, from PyPI).

    EXTRACTIVE_QA_DATA_DIR=/work/shared/data/squad pytest -q tests/test_scoring_official.py

The same comparisons run through the package's `evaluate` metrics (`load_squad_metric`), the threshold curve
(`threshold_curve`), and partial prediction files (unknown ids ignored with a warning, missing questions scored 0).
"""
from __future__ import annotations
import os, random, warnings
from pathlib import Path

import numpy as np
import pytest

from extractive_qa.scoring import (squad_v1_scores, squad_v2_scores, score_predictions, f1_score, exact_match_score,
                                   threshold_curve, best_threshold, load_squad_metric, normalize_answer)
from scoring_reference import official_v1, official_v2, reference_scores

TOLERANCE = 1e-9


# ---------------------------------------------------------------- data and synthetic predictions
def dev_rows(version_folder: str) -> list[dict]:
    "The rows of a real dev set (id, context, answer texts), or skip the test when the data is not there."
    data_dir = os.environ.get("EXTRACTIVE_QA_DATA_DIR")
    if not data_dir: pytest.skip("EXTRACTIVE_QA_DATA_DIR is not set")
    path = Path(data_dir)/version_folder/"validation.parquet"
    if not path.is_file(): pytest.skip(f"{path} is missing")
    pd = pytest.importorskip("pandas")
    frame = pd.read_parquet(path, columns=["id", "context", "answers"])
    return [dict(id=row.id, context=row.context, answers={"text": [str(t) for t in row.answers["text"]],
                                                          "answer_start": [int(s) for s in row.answers["answer_start"]]})
            for row in frame.itertuples()]


def perturbed_prediction(row: dict, generator: random.Random) -> str | None:
    "A plausible model output for `row`: right, partly right, wrong, empty or missing (None)."
    texts, context = row["answers"]["text"], row["context"]
    context_words = context.split()
    random_span = " ".join(context_words[(start := generator.randrange(len(context_words))):start + generator.randint(1, 6)])
    if not texts:  # unanswerable: abstain, answer something, or answer only an article
        return generator.choice(["", "", random_span, "the", " "])
    first = texts[0]
    words = first.split()
    choice = generator.randrange(9)
    if choice == 0: return first
    if choice == 1: return "The " + generator.choice(texts) + "."
    if choice == 2: return " ".join(words[:-1]) if len(words) > 1 else first.upper()
    if choice == 3:
        start = row["answers"]["answer_start"][0]
        return context[max(0, start - generator.randint(0, 15)):start + len(first) + generator.randint(0, 25)]
    if choice == 4: return random_span
    if choice == 5: return ""
    if choice == 6: return " ".join(words[1:]) + " " + words[0]
    if choice == 7: return first + " " + first
    return None


def synthetic_predictions(rows: list[dict], seed: int, allow_missing: bool) -> dict[str, str]:
    generator = random.Random(seed)
    predictions = {}
    for row in rows:
        prediction = perturbed_prediction(row, generator)
        if prediction is None:
            if allow_missing: continue
            prediction = row["answers"]["text"][-1]
        predictions[row["id"]] = prediction
    return predictions


def synthetic_na_probs(rows: list[dict], seed: int) -> dict[str, float]:
    "Random no-answer probabilities, leaning the right way, rounded so that ties occur, in a shuffled order."
    generator = random.Random(seed)
    probabilities = {row["id"]: round(min(1.0, generator.random() * 0.7 + (0.0 if row["answers"]["text"] else 0.3)), 2)
                     for row in rows}
    ids = list(probabilities)
    generator.shuffle(ids)
    return {question_id: probabilities[question_id] for question_id in ids}


def assert_same(ours: dict, official: dict):
    assert set(official) == set(ours) - {"missing_predictions"}, (set(official) ^ set(ours))
    for key, value in official.items():
        assert ours[key] == pytest.approx(value, abs=TOLERANCE, rel=0), key


# ---------------------------------------------------------------- the tests
@pytest.mark.parametrize("seed", [0, 1])
def test_v1_matches_official_script(seed):
    rows = dev_rows("squad_v1")
    predictions = synthetic_predictions(rows, seed, allow_missing=True)
    ours = squad_v1_scores(rows, predictions, verbose=False)
    official = official_v1(rows, predictions)
    official["total"] = len(rows)
    assert_same(ours, official)
    assert ours["missing_predictions"] == len(rows) - len(predictions) > 0
    assert score_predictions(rows, predictions, verbose=False) == ours


@pytest.mark.parametrize("seed,na_prob_threshold", [(0, 1.0), (1, 0.5), (2, 0.0), (3, 0.37)])
def test_v2_matches_official_script(seed, na_prob_threshold):
    rows = dev_rows("squad_v2")
    predictions = synthetic_predictions(rows, seed, allow_missing=False)
    na_probs = synthetic_na_probs(rows, seed)
    ours = squad_v2_scores(rows, predictions, na_probs, na_prob_threshold)
    assert_same(ours, official_v2(rows, predictions, na_probs, na_prob_threshold))
    assert ours["missing_predictions"] == 0
    without_probabilities = squad_v2_scores(rows, predictions, na_prob_threshold=na_prob_threshold)
    assert_same(without_probabilities, official_v2(rows, predictions, None, na_prob_threshold))
    assert score_predictions(rows, predictions, version_2=True, na_probs=na_probs,
                             na_prob_threshold=na_prob_threshold)["exact_match"] == ours["exact"]


def test_v2_best_threshold_with_many_ties_and_only_answerable_questions():
    "Only answerable questions, na_probs in reference order with many ties: the walk order must still match."
    rows = [row for row in dev_rows("squad_v2") if row["answers"]["text"]][:2000]
    predictions = synthetic_predictions(rows, 5, allow_missing=False)
    generator = random.Random(5)
    na_probs = {row["id"]: generator.choice([0.1, 0.2, 0.3]) for row in rows}
    assert_same(squad_v2_scores(rows, predictions, na_probs), official_v2(rows, predictions, na_probs))


def test_single_answer_functions_match_official_script():
    rows = dev_rows("squad_v2")
    generator = random.Random(7)
    predictions = synthetic_predictions(rows, 7, allow_missing=False)
    texts = [text for row in rows for text in row["answers"]["text"]][:3000] + ["", " ", "the", "An a THE", "."]
    pairs = [(guess, text) for text in texts
             for guess in (predictions[generator.choice(rows)["id"]], text, "")]
    reference = reference_scores(dict(script="pairs", pairs=pairs))[0]
    assert len(reference) == len(pairs)
    for (guess, truth), (exact_v1, f1_v1, f1_v2) in zip(pairs, reference):
        assert exact_match_score(guess, truth) == exact_v1, (guess, truth)
        assert f1_score(guess, truth) == f1_v1, (guess, truth)
        assert f1_score(guess, truth, version_2=True) == f1_v2, (guess, truth)
    # the answers that normalize to nothing are where v1.1 and v2.0 part: v1.1 gives F1 0, v2.0 gives 1 when both are empty
    assert {tuple(row[1:]) for pair, row in zip(pairs, reference) if pair == (".", ".")} == {(0, 1)}


# ---------------------------------------------------------------- partial prediction files (issue 10.5)
def stranger_predictions(count: int, seed: int) -> dict[str, str]:
    "Predictions for ids that no SQuAD dev set has."
    generator = random.Random(seed)
    return {f"not-a-squad-id-{i}": generator.choice(["Denver Broncos", "", "the"]) for i in range(count)}


def scored_with_warnings(function, *args, **kwargs):
    "The result of `function(*args, **kwargs)` and the messages of the warnings it raised."
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = function(*args, **kwargs)
    return result, [str(warning.message) for warning in caught]


def test_v1_unknown_ids_are_ignored_with_a_warning_and_missing_questions_score_zero():
    rows = dev_rows("squad_v1")
    predictions = synthetic_predictions(rows, 11, allow_missing=True)
    with_strangers = {**predictions, **stranger_predictions(37, 11)}
    ours, messages = scored_with_warnings(squad_v1_scores, rows, with_strangers, verbose=False)
    official = official_v1(rows, with_strangers)  # the official script never looks them up
    official["total"] = len(rows)
    assert_same(ours, official)
    assert ours["missing_predictions"] == len(rows) - len(predictions) > 0
    assert len(messages) == 1 and messages[0].startswith(f"37 of {len(with_strangers)} prediction ids are not questions"), messages


def test_v2_unknown_ids_are_ignored_with_a_warning():
    rows = dev_rows("squad_v2")
    predictions = synthetic_predictions(rows, 12, allow_missing=False)
    na_probs = synthetic_na_probs(rows, 12)
    strangers = stranger_predictions(5, 12)
    ours, messages = scored_with_warnings(squad_v2_scores, rows, {**predictions, **strangers},
                                          {**na_probs, **{i: 0.5 for i in strangers}}, 0.6, verbose=False)
    assert_same(ours, official_v2(rows, {**predictions, **strangers},
                                       {**na_probs, **{i: 0.5 for i in strangers}}, 0.6))
    assert any(message.startswith(f"5 of {len(rows) + 5} prediction ids") for message in messages), messages
    assert any(message.startswith("5 `na_probs` ids are not questions") for message in messages), messages


def test_v2_missing_predictions_count_as_wrong():
    "The official v2.0 script crashes on missing predictions; the package scores them 0, like v1.1 does."
    rows = dev_rows("squad_v2")[:3000]
    predictions = synthetic_predictions(rows, 13, allow_missing=True)
    assert len(predictions) < len(rows)
    ours = squad_v2_scores(rows, predictions, verbose=False)
    completed = {row["id"]: predictions.get(row["id"], "zzqqzz") for row in rows}
    wrong_for_missing = official_v2(rows, completed)  # "zzqqzz" is wrong everywhere
    assert_same(ours, wrong_for_missing)
    assert ours["missing_predictions"] == len(rows) - len(predictions)


# ---------------------------------------------------------------- the evaluate metrics (issue 11.1)
def as_float32(value: float) -> float:
    "What the `float32` feature of the metric (and of the hub's `squad_v2`) makes of a probability."
    return float(np.float32(value))


def metric_references(rows: list[dict]) -> list[dict]:
    "The references in the `evaluate` format: `id` and `answers` only (the metric, like the hub's, refuses other keys)."
    return [{"id": row["id"], "answers": row["answers"]} for row in rows]


@pytest.fixture(scope="module")
def squad_metric():
    return load_squad_metric()


@pytest.fixture(scope="module")
def squad_v2_metric():
    return load_squad_metric(version_2=True)


@pytest.mark.parametrize("seed", [0, 1])
def test_squad_metric_matches_official_script(squad_metric, seed):
    "Same number of predictions and references (evaluate pairs them), some for unknown ids, so some questions miss one."
    rows = dev_rows("squad_v1")
    predictions = synthetic_predictions(rows, seed, allow_missing=True)
    inputs = [{"id": row["id"] if row["id"] in predictions else f"unknown-{position}",
               "prediction_text": predictions.get(row["id"], "Denver Broncos")} for position, row in enumerate(rows)]
    result, messages = scored_with_warnings(squad_metric.compute, predictions=inputs, references=metric_references(rows))
    official = official_v1(rows, {p["id"]: p["prediction_text"] for p in inputs})
    assert list(result) == ["exact_match", "f1"]
    for key, value in official.items():
        assert result[key] == pytest.approx(value, abs=TOLERANCE, rel=0), key
    assert any(f"{len(rows) - len(predictions)} of {len(rows)} prediction ids" in message for message in messages), messages


HUB_SQUAD_V2_KEYS = ["exact", "f1", "total", "HasAns_exact", "HasAns_f1", "HasAns_total", "NoAns_exact", "NoAns_f1",
                     "NoAns_total", "best_exact", "best_exact_thresh", "best_f1", "best_f1_thresh"]


@pytest.mark.parametrize("seed,no_answer_threshold,odds_like", [(0, None, False), (1, 0.5, False), (2, None, True), (3, 0.37, True)])
def test_squad_v2_metric_matches_official_script(squad_v2_metric, seed, no_answer_threshold, odds_like):
    "Probabilities as the metric stores them (float32); `odds_like` spreads them over [-6, 6] like null odds, so the default 1.0 nulls some."
    rows = dev_rows("squad_v2")
    predictions = synthetic_predictions(rows, seed, allow_missing=False)
    na_probs = synthetic_na_probs(rows, seed)
    if odds_like:
        generator = random.Random(seed)
        na_probs = {question_id: 12 * probability - 6 + generator.random() for question_id, probability in na_probs.items()}
    inputs = [{"id": question_id, "prediction_text": predictions[question_id], "no_answer_probability": na_probs[question_id]}
              for question_id in na_probs]                                  # in the shuffled order of na_probs
    references = [rows[position] for position in random.Random(seed).sample(range(len(rows)), len(rows))]
    extra = {} if no_answer_threshold is None else {"no_answer_threshold": no_answer_threshold}
    result = squad_v2_metric.compute(predictions=inputs, references=metric_references(references), **extra)
    official = official_v2(references, predictions, {k: as_float32(v) for k, v in na_probs.items()},
                                1.0 if no_answer_threshold is None else no_answer_threshold)
    assert list(result) == HUB_SQUAD_V2_KEYS
    assert set(official) == set(result)
    for key, value in official.items():
        assert result[key] == pytest.approx(value, abs=TOLERANCE, rel=0), key
    if odds_like and no_answer_threshold is None:  # the default threshold 1.0 is applied: odds above 1 answer ''
        assert result["f1"] != pytest.approx(official_v2(references, predictions, None)["f1"])


def test_squad_v2_metric_with_float32_exact_probabilities_matches_official_script_on_the_raw_values(squad_v2_metric):
    "Probabilities that float32 holds exactly (multiples of 1/64, many ties): no rounding anywhere, the numbers agree as given."
    rows = dev_rows("squad_v2")[:4000]
    predictions = synthetic_predictions(rows, 21, allow_missing=False)
    generator = random.Random(21)
    na_probs = {row["id"]: generator.randrange(64) / 64 for row in rows}
    inputs = [{"id": i, "prediction_text": predictions[i], "no_answer_probability": na_probs[i]} for i in na_probs]
    result = squad_v2_metric.compute(predictions=inputs, references=metric_references(rows), no_answer_threshold=0.5)
    assert_same(result, official_v2(rows, predictions, na_probs, 0.5))


# ---------------------------------------------------------------- the threshold curve (issue 9.2)
def test_threshold_curve_points_are_the_scores_at_those_thresholds_and_its_best_is_the_official_best():
    rows = dev_rows("squad_v2")
    predictions = synthetic_predictions(rows, 31, allow_missing=False)
    # predictions that normalize to nothing ("the", " ") follow the official walk's raw-string rule, not their real score
    predictions = {question_id: text if normalize_answer(text) else "Denver" for question_id, text in predictions.items()}
    generator = random.Random(31)  # continuous null odds: no ties, so the official walk has no mid-tie points
    null_odds = {row["id"]: generator.gauss(1.0 if not row["answers"]["text"] else -1.0, 2.0) for row in rows}
    thresholds, exact, f1 = threshold_curve(rows, predictions, null_odds)
    assert len(thresholds) == len(rows) + 1 and np.all(np.diff(thresholds) > 0)
    for position in [0, 1, len(thresholds) // 3, int(np.argmax(f1)), len(thresholds) - 1]:
        at = squad_v2_scores(rows, predictions, null_odds, na_prob_threshold=thresholds[position], verbose=False)
        assert (exact[position], f1[position]) == pytest.approx((at["exact"], at["f1"]), abs=1e-9), position
    official = official_v2(rows, predictions, null_odds)
    assert best_threshold(thresholds, f1) == pytest.approx((official["best_f1_thresh"], official["best_f1"]), abs=1e-9)
    assert best_threshold(thresholds, exact) == pytest.approx((official["best_exact_thresh"], official["best_exact"]), abs=1e-9)
