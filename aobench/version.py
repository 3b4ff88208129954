"""The aobench version: its one home (every module that records it imports it from here; pyproject.toml reads it too)."""

__version__ = "0.1.0"
