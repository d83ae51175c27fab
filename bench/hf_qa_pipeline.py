"""The Hugging Face `question-answering` pipeline, for the inference benchmark's baseline.

transformers removed `pipeline("question-answering")` in 5.3 (it now raises "The task question-answering has been
removed from transformers"). `make_pipeline` returns the real one when the installed transformers still has it, and
otherwise this module's copy of `QuestionAnsweringPipeline` from transformers 5.2.0
(src/transformers/pipelines/question_answering.py, Copyright The HuggingFace Team, Apache License 2.0), reduced to
its fast-tokenizer path: the `SquadExample`/`SquadFeatures` containers it needed (also removed from transformers)
are replaced by a plain `QAExample` and dicts; windowing, batching, span decoding and word alignment are unchanged.
"""
from __future__ import annotations
import inspect, types
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset
from transformers.models.auto.modeling_auto import MODEL_FOR_QUESTION_ANSWERING_MAPPING_NAMES
from transformers.pipelines.base import ArgumentHandler, ChunkPipeline


def make_pipeline(model, tokenizer):
    "The installed `pipeline('question-answering')` if there is one, else the 5.2.0 copy; and which one it is."
    import transformers
    try: return transformers.pipeline("question-answering", model=model, tokenizer=tokenizer), f"transformers {transformers.__version__} pipeline"
    except KeyError: return QuestionAnsweringPipeline(model=model, tokenizer=tokenizer), "transformers 5.2.0 QuestionAnsweringPipeline (vendored copy)"


@dataclass
class QAExample:
    "What the pipeline used from `SquadExample` on the fast-tokenizer path."
    question_text: str
    context_text: str


def decode_spans(start: np.ndarray, end: np.ndarray, topk: int, max_answer_len: int, undesired_tokens: np.ndarray) -> tuple:
    "Best `topk` (start, end) spans by start*end probability, at most `max_answer_len` tokens, inside allowed tokens."
    if start.ndim == 1: start = start[None]
    if end.ndim == 1: end = end[None]
    outer = np.matmul(np.expand_dims(start, -1), np.expand_dims(end, 1))
    candidates = np.tril(np.triu(outer), max_answer_len - 1)
    scores_flat = candidates.flatten()
    if topk == 1: idx_sort = [np.argmax(scores_flat)]
    elif len(scores_flat) < topk: idx_sort = np.argsort(-scores_flat)
    else:
        idx = np.argpartition(-scores_flat, topk)[0:topk]
        idx_sort = idx[np.argsort(-scores_flat[idx])]
    starts, ends = np.unravel_index(idx_sort, candidates.shape)[1:]
    desired_spans = np.isin(starts, undesired_tokens.nonzero()) & np.isin(ends, undesired_tokens.nonzero())
    starts, ends = starts[desired_spans], ends[desired_spans]
    return starts, ends, candidates[0, starts, ends]


def select_starts_ends(start, end, p_mask, attention_mask, min_null_score=1000000, top_k=1,
                       handle_impossible_answer=False, max_answer_len=15):
    "Softmax the logits over allowed tokens, then `decode_spans`."
    undesired_tokens = np.abs(np.array(p_mask) - 1)
    if attention_mask is not None: undesired_tokens = undesired_tokens & attention_mask
    undesired_tokens_mask = undesired_tokens == 0.0
    start = np.where(undesired_tokens_mask, -10000.0, start)
    end = np.where(undesired_tokens_mask, -10000.0, end)
    start = np.exp(start - start.max(axis=-1, keepdims=True))
    start = start / start.sum()
    end = np.exp(end - end.max(axis=-1, keepdims=True))
    end = end / end.sum()
    if handle_impossible_answer: min_null_score = min(min_null_score, (start[0, 0] * end[0, 0]).item())
    start[0, 0] = end[0, 0] = 0.0
    starts, ends, scores = decode_spans(start, end, top_k, max_answer_len, undesired_tokens)
    return starts, ends, scores, min_null_score


class QuestionAnsweringArgumentHandler(ArgumentHandler):
    "Turn `question=`/`context=` (strings or lists) into a list of `QAExample`s."
    _load_processor = False
    _load_image_processor = False
    _load_feature_extractor = False
    _load_tokenizer = True

    def normalize(self, item):
        if isinstance(item, QAExample): return item
        if isinstance(item, dict):
            for k in ["question", "context"]:
                if k not in item: raise KeyError("You need to provide a dictionary with keys {question:..., context:...}")
                if item[k] is None: raise ValueError(f"`{k}` cannot be None")
                if isinstance(item[k], str) and len(item[k]) == 0: raise ValueError(f"`{k}` cannot be empty")
            return QAExample(item["question"], item["context"])
        raise ValueError(f"{item} argument needs to be of type (QAExample, dict)")

    def __call__(self, *args, **kwargs):
        if args is not None and len(args) > 0:
            if len(args) == 1: inputs = args[0]
            elif len(args) == 2 and {type(el) for el in args} == {str}: inputs = [{"question": args[0], "context": args[1]}]
            else: inputs = list(args)
        elif "question" in kwargs and "context" in kwargs:
            question, context = kwargs["question"], kwargs["context"]
            if isinstance(question, list) and isinstance(context, str):
                inputs = [{"question": q, "context": context} for q in question]
            elif isinstance(question, list) and isinstance(context, list):
                if len(question) != len(context): raise ValueError("Questions and contexts don't have the same lengths")
                inputs = [{"question": q, "context": c} for q, c in zip(question, context)]
            elif isinstance(question, str) and isinstance(context, str):
                inputs = [{"question": question, "context": context}]
            else: raise ValueError("Arguments can't be understood")
        else: raise ValueError(f"Unknown arguments {kwargs}")
        if isinstance(inputs, (types.GeneratorType, Dataset)): return inputs
        if isinstance(inputs, dict): inputs = [inputs]
        elif isinstance(inputs, Iterable): inputs = list(inputs)
        else: raise ValueError(f"Invalid arguments {kwargs}")
        return [self.normalize(item) for item in inputs]


class QuestionAnsweringPipeline(ChunkPipeline):
    "Question answering with any `ModelForQuestionAnswering` (transformers 5.2.0, fast tokenizers only)."
    default_input_names = "question,context"
    handle_impossible_answer = False

    def __init__(self, model, tokenizer, task: str = "", **kwargs):
        super().__init__(model=model, tokenizer=tokenizer, task=task, **kwargs)
        if not tokenizer.is_fast: raise TypeError("This copy of the pipeline keeps only the fast-tokenizer path.")
        self._args_parser = QuestionAnsweringArgumentHandler()
        self.check_model_type(MODEL_FOR_QUESTION_ANSWERING_MAPPING_NAMES)

    def _sanitize_parameters(self, padding=None, top_k=None, doc_stride=None, max_answer_len=None, max_seq_len=None,
                             max_question_len=None, handle_impossible_answer=None, align_to_words=None, **kwargs):
        preprocess_params = {k: v for k, v in dict(padding=padding, doc_stride=doc_stride, max_question_len=max_question_len,
                                                   max_seq_len=max_seq_len).items() if v is not None}
        postprocess_params = {}
        if top_k is not None:
            if top_k < 1: raise ValueError(f"top_k parameter should be >= 1 (got {top_k})")
            postprocess_params["top_k"] = top_k
        if max_answer_len is not None:
            if max_answer_len < 1: raise ValueError(f"max_answer_len parameter should be >= 1 (got {max_answer_len})")
            postprocess_params["max_answer_len"] = max_answer_len
        if handle_impossible_answer is not None: postprocess_params["handle_impossible_answer"] = handle_impossible_answer
        if align_to_words is not None: postprocess_params["align_to_words"] = align_to_words
        return preprocess_params, {}, postprocess_params

    def __call__(self, **kwargs):
        examples = self._args_parser(**kwargs)
        if isinstance(examples, (list, tuple)) and len(examples) == 1: return super().__call__(examples[0], **kwargs)
        return super().__call__(examples, **kwargs)

    def preprocess(self, example, padding="do_not_pad", doc_stride=None, max_question_len=64, max_seq_len=None):
        if isinstance(example, dict): example = QAExample(example["question"], example["context"])
        if max_seq_len is None: max_seq_len = min(self.tokenizer.model_max_length, 384)
        if doc_stride is None: doc_stride = min(max_seq_len // 2, 128)
        if doc_stride > max_seq_len: raise ValueError(f"`doc_stride` ({doc_stride}) is larger than `max_seq_len` ({max_seq_len})")
        question_first = self.tokenizer.padding_side == "right"
        encoded_inputs = self.tokenizer(
            text=example.question_text if question_first else example.context_text,
            text_pair=example.context_text if question_first else example.question_text,
            padding=padding, truncation="only_second" if question_first else "only_first", max_length=max_seq_len,
            stride=doc_stride, return_token_type_ids=True, return_overflowing_tokens=True, return_offsets_mapping=True,
            return_special_tokens_mask=True)
        num_spans = len(encoded_inputs["input_ids"])
        # p_mask: 1 for tokens that cannot be in the answer (question and special tokens), 0 for context tokens
        p_mask = [[tok != 1 if question_first else 0 for tok in encoded_inputs.sequence_ids(span_id)]
                  for span_id in range(num_spans)]
        model_input_names = self.tokenizer.model_input_names + ["p_mask", "token_type_ids"]
        for span_idx in range(num_spans):
            input_ids = encoded_inputs["input_ids"][span_idx]
            if self.tokenizer.cls_token_id is not None:  # keep the CLS token unmasked
                for cls_index in np.nonzero(np.array(input_ids) == self.tokenizer.cls_token_id)[0]: p_mask[span_idx][cls_index] = 0
            feature = dict(input_ids=input_ids, attention_mask=encoded_inputs["attention_mask"][span_idx] if "attention_mask" in encoded_inputs else None,
                           token_type_ids=encoded_inputs["token_type_ids"][span_idx] if "token_type_ids" in encoded_inputs else None,
                           p_mask=p_mask[span_idx], encoding=encoded_inputs[span_idx])
            fw_args, others = {}, {}
            for k, v in feature.items():
                if k in model_input_names:
                    tensor = torch.tensor(v)
                    fw_args[k] = (tensor.long() if tensor.dtype == torch.int32 else tensor).unsqueeze(0)
                else: others[k] = v
            yield {"example": example, "is_last": span_idx == num_spans - 1, **fw_args, **others}

    def _forward(self, inputs):
        example = inputs["example"]
        model_inputs = {k: inputs[k] for k in self.tokenizer.model_input_names}
        if "use_cache" in inspect.signature(self.model.forward).parameters: model_inputs["use_cache"] = False
        output = self.model(**model_inputs)
        if isinstance(output, dict): return {"start": output["start_logits"], "end": output["end_logits"], "example": example, **inputs}
        start, end = output[:2]
        return {"start": start, "end": end, "example": example, **inputs}

    def postprocess(self, model_outputs, top_k=1, handle_impossible_answer=False, max_answer_len=15, align_to_words=True):
        min_null_score = 1000000  # large and positive
        answers = []
        for output in model_outputs:
            start_, end_ = output["start"], output["end"]
            if start_.dtype == torch.bfloat16: start_, end_ = start_.to(torch.float32), end_.to(torch.float32)
            example = output["example"]
            attention_mask = output["attention_mask"].numpy() if output.get("attention_mask", None) is not None else None
            pre_topk = top_k * 2 + 10 if align_to_words else top_k  # some candidates may be dropped when aligning to words
            starts, ends, scores, min_null_score = select_starts_ends(start_, end_, output["p_mask"], attention_mask, min_null_score,
                                                                      pre_topk, handle_impossible_answer, max_answer_len)
            enc = output["encoding"]
            offset = (output["input_ids"] == self.tokenizer.pad_token_id).numpy().sum() if self.tokenizer.padding_side == "left" else 0
            sequence_index = 1 if self.tokenizer.padding_side == "right" else 0
            for s, e, score in zip(starts, ends, scores):
                start_index, end_index = self.get_indices(enc, s - offset, e - offset, sequence_index, align_to_words)
                target_answer = example.context_text[start_index:end_index]
                answer = self.get_answer(answers, target_answer)
                if answer: answer["score"] += score.item()
                else: answers.append({"score": score.item(), "start": start_index, "end": end_index, "answer": target_answer})
        if handle_impossible_answer: answers.append({"score": min_null_score, "start": 0, "end": 0, "answer": ""})
        answers = sorted(answers, key=lambda x: x["score"], reverse=True)[:top_k]
        return answers[0] if len(answers) == 1 else answers

    def get_answer(self, answers: list[dict], target: str) -> dict | None:
        for answer in answers:
            if answer["answer"].lower() == target.lower(): return answer
        return None

    def get_indices(self, enc, s: int, e: int, sequence_index: int, align_to_words: bool) -> tuple[int, int]:
        if align_to_words:
            try:
                start_word, end_word = enc.token_to_word(s), enc.token_to_word(e)
                return (enc.word_to_chars(start_word, sequence_index=sequence_index)[0],
                        enc.word_to_chars(end_word, sequence_index=sequence_index)[1])
            except Exception:  # some tokenizers don't handle words: keep to offsets
                pass
        return enc.offsets[s][0], enc.offsets[e][1]
