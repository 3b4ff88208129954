"""The bundled CLIP evaluator: a model registry (`models`), a task registry (`tasks`), pure `metrics`, an embedding `cache`.

`evaluate(data, models, out, tasks=...)` runs model specs (e.g. "open_clip:aobench-vit-s-64:/run/ckpt.pt")
on a dataset and writes CLIP_benchmark-shaped result JSONs; it returns an `EvalRun` with the results.
"""

from aobench.evaluate.runner import EvalRun, evaluate

__all__ = ["EvalRun", "evaluate"]
