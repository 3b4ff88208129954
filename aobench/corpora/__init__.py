"""The built-in caption-corpus counts, shipped as data: one `aobench nmi` output dir per folder, referenced as `builtin:NAME`.

Each folder holds what `aobench nmi` writes (its layout and its one reader: `aobench.nmidir`, whose `load_corpus`
resolves `builtin:NAME` here) and a source file saying where the captions came from, their licence, attribution,
caption count and the exact command that made the counts. Only derived counts ship, never captions.
"""
