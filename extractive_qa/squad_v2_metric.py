"""SQuAD v2.0 as an `evaluate` metric module, so that `evaluate.load(<this file>)` works offline.

Written by hand, not exported from a notebook: `evaluate.load` copies this file out of the package and imports the
copy, and nbdev can only append to a second module of a notebook. `nbs/95_appendix_scoring_details.ipynb` shows and tests it;
`extractive_qa.scoring.load_squad_metric(version_2=True)` loads it. The scoring rules live in `extractive_qa.scoring`.
"""
import datasets
import evaluate
import extractive_qa.scoring as scoring  # absolute, one module per line: evaluate reads these lines to check them


class SquadV2(evaluate.Metric):
    "SQuAD v2.0 for `evaluate`: predictions add `no_answer_probability`; `compute(..., no_answer_threshold=1.0)`."

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description="SQuAD v2.0 scores with the rules of the official evaluate-v2.0.py.",
            citation="Rajpurkar, Jia and Liang, Know What You Don't Know: Unanswerable Questions for SQuAD, ACL 2018.",
            inputs_description="predictions: [{'id', 'prediction_text', 'no_answer_probability'}]; "
                               "references: [{'id', 'answers': {'text': [...], 'answer_start': [...]}}]; "
                               "no_answer_threshold: float = 1.0 (answer '' where the probability is above it)",
            features=datasets.Features({
                "predictions": {"id": datasets.Value("string"), "prediction_text": datasets.Value("string"),
                                "no_answer_probability": datasets.Value("float32")},
                "references": {"id": datasets.Value("string"),
                               "answers": datasets.Sequence({"text": datasets.Value("string"),
                                                             "answer_start": datasets.Value("int32")})}}),
            codebase_urls=["https://rajpurkar.github.io/SQuAD-explorer/"],
            reference_urls=["https://rajpurkar.github.io/SQuAD-explorer/"])

    def _compute(self, predictions: list[dict], references: list[dict], no_answer_threshold: float = 1.0) -> dict:
        "`exact`, `f1`, `total`, the HasAns/NoAns breakdown and the best thresholds, as the hub's `squad_v2` metric reports them."
        texts = {p["id"]: p["prediction_text"] for p in predictions}
        probabilities = {p["id"]: p["no_answer_probability"] for p in predictions}
        scores = scoring.squad_v2_scores(references, texts, probabilities, no_answer_threshold)
        return {key: value for key, value in scores.items() if key != "missing_predictions"}
