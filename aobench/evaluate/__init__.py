"""The bundled CLIP evaluator: model kinds (`models`, `kinds/`), tasks (`tasks`), pure `metrics`, an embedding `cache`, the result format (`results`).

`evaluate(data, models, out, tasks=...)` runs model specs (e.g. "open_clip:aobench-vit-s-64:/run/ckpt.pt")
or models already in memory (`LoadedModel`, open_clip's `(model, preprocess, tokenizer)`) on a dataset
and writes CLIP_benchmark-shaped result JSONs; it returns an `EvalRun` with the results.
"""

from aobench.evaluate.models import LoadedModel
from aobench.evaluate.results import Result, load_results
from aobench.evaluate.runner import EvalRun, evaluate

__all__ = ["EvalRun", "LoadedModel", "Result", "evaluate", "load_results"]
