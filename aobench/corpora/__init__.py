"""The built-in caption-corpus counts, shipped as data: one `aobench nmi` dir per folder, referenced as `builtin:NAME`.

Each folder holds `counts.json` and `nmi.json` from `aobench nmi` and `source.yaml` (where the captions came
from, their licence, attribution, caption count and the exact command that made the counts). Only derived
counts ship, never captions. They are read like any nmi dir, through `aobench.nmidir` (re-exported here).
"""

from aobench.nmidir import BUILTIN, Corpus, builtin_root, corpus_info, describe, list_builtin, load_corpus, resolve

__all__ = ["BUILTIN", "Corpus", "builtin_root", "corpus_info", "describe", "list_builtin", "load_corpus", "resolve"]
