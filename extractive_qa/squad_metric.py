"""SQuAD v1.1 as an `evaluate` metric module, so that `evaluate.load(<this file>)` works offline.

Written by hand, not exported from a notebook: `evaluate.load` copies this file out of the package and imports the
copy, and nbdev can only append to a second module of a notebook. `nbs/95_appendix_scoring_details.ipynb` shows and tests it;
`extractive_qa.scoring.load_squad_metric()` loads it. The scoring rules live in `extractive_qa.scoring`.
"""
import datasets
import evaluate
import extractive_qa.scoring as scoring  # absolute, one module per line: evaluate reads these lines to check them


class Squad(evaluate.Metric):
    "SQuAD v1.1 for `evaluate`: `compute(predictions=[{id, prediction_text}], references=[{id, answers}])` gives `exact_match` and `f1`."

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description="Exact match and F1 of SQuAD v1.1, with the rules of the official evaluate-v1.1.py.",
            citation="Rajpurkar et al., SQuAD: 100,000+ Questions for Machine Comprehension of Text, EMNLP 2016.",
            inputs_description="predictions: [{'id', 'prediction_text'}]; "
                               "references: [{'id', 'answers': {'text': [...], 'answer_start': [...]}}]",
            features=datasets.Features({
                "predictions": {"id": datasets.Value("string"), "prediction_text": datasets.Value("string")},
                "references": {"id": datasets.Value("string"),
                               "answers": datasets.Sequence({"text": datasets.Value("string"),
                                                             "answer_start": datasets.Value("int32")})}}),
            codebase_urls=["https://rajpurkar.github.io/SQuAD-explorer/"],
            reference_urls=["https://rajpurkar.github.io/SQuAD-explorer/"])

    def _compute(self, predictions: list[dict], references: list[dict]) -> dict:
        "`exact_match` and `f1` (percent), as the official script and the hub's `squad` metric report them."
        scores = scoring.squad_v1_scores(references, {p["id"]: p["prediction_text"] for p in predictions})
        return {"exact_match": scores["exact_match"], "f1": scores["f1"]}
