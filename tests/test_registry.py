"""The generic lazy Registry: lazy targets, decorators, did-you-mean errors."""

import pytest

from aobench.errors import AobenchError
from aobench.registry import Registry


def test_lazy_target_is_imported_on_first_get():
    reg = Registry("thing")
    reg.register("join", "os.path:join", "join paths")
    assert reg.names() == ["join"]
    assert reg.describe() == {"join": "join paths"}
    import os.path

    assert reg.get("join") is os.path.join


def test_decorator_registers_object_in_order():
    reg = Registry("task")

    @reg.register("b")
    def b():
        return 2

    reg.register("a", lambda: 1)
    assert reg.names() == ["b", "a"]
    assert reg.get("b")() == 2
    assert "a" in reg and "c" not in reg


def test_unknown_name_suggests_closest():
    reg = Registry("generator backend")
    reg.register("diffusers", "os:getcwd")
    reg.register("procedural", "os:getcwd")
    with pytest.raises(AobenchError, match=r"unknown generator backend 'difusers'; did you mean 'diffusers'\?.*procedural"):
        reg.get("difusers")


def test_bad_target_is_one_line_error():
    reg = Registry("filter")
    reg.register("x", "no_such_module_xyz:fn")
    with pytest.raises(AobenchError, match="cannot load filter 'x'"):
        reg.get("x")
