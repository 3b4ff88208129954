"""aobench: benchmarks of compositional out-of-distribution generalisation for vision-language models."""

__version__ = "0.1.0"
