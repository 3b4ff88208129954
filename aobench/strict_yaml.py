"""YAML as aobench reads users' files: `yaml.safe_load`, except that a key given twice in one mapping is an error.

PyYAML keeps the last of two equal keys (`name:` twice: the second wins, silently). In a recipe that is
almost always a mistake, so the loader refuses it with the key and both lines. Merge keys (`<<: *base`)
still override as YAML defines.
"""

from __future__ import annotations

from typing import Any

import yaml


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A mapping holds one key twice; `line` and `first` are 1-based line numbers."""

    def __init__(self, key: Any, node: yaml.Node, first: int):
        self.key, self.line, self.first = key, node.start_mark.line + 1, first
        super().__init__(None, None, f"duplicate key {key!r} (first at line {first})", node.start_mark)


class _UniqueKeyLoader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:  # an unhashable key: the base loader reports it
                    continue
                if first is not None:
                    raise DuplicateKeyError(key, key_node, first)
                seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def safe_load(text: str) -> Any:
    """`yaml.safe_load(text)` that raises DuplicateKeyError on a key repeated within one mapping."""
    return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
