"""The built-in model kinds of `aobench eval` (registered lazily in `aobench.evaluate.models.MODEL_KINDS`), each with its wrapper; `base` holds what they share."""
