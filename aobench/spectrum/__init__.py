"""`aobench spectrum`: compositionality against recognition over many models, and metrics over training steps.

read (aobench's and CLIP_benchmark's result JSONs, through `aobench.evaluate.results`) → join by (model,
pretrained) into one table (`table`, classified by `roles`) → correlate over models (`aobench.correlation`)
→ plot (`plots`), optionally against published checkpoints (`reference`). `run.make_spectrum` does it all.
"""
