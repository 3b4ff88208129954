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


def test_plugin_filter_runs_from_a_recipe_and_unknown_ones_are_errors(tmp_path, monkeypatch):
    from aobench.filters import FILTERS, FilterContext, run_filters
    from aobench.recipe import FiltersSpec, validate

    monkeypatch.setattr(FILTERS, "_entries", dict(FILTERS._entries))  # registrations end with the test

    def drop_colour(records, spec, ctx):
        bad = [r for r in records if r["attribute"] == spec.colour]
        return [r for r in records if r not in bad], [(r, f"colour:{spec.colour}") for r in bad]

    FILTERS.register("drop_colour", drop_colour)
    r = validate({"name": "x", "filters": {"near_duplicate": {"enabled": False}, "drop_colour": {"colour": "red"}}})
    assert r.model_dump()["filters"]["drop_colour"] == {"enabled": True, "colour": "red"}  # in the lock and fingerprint
    recs = [{"id": "a", "attribute": "red"}, {"id": "b", "attribute": "blue"}]
    assert run_filters(recs, r.filters, FilterContext(root=tmp_path)) == {"drop_colour": 1}
    assert [x["filters"] for x in recs] == ["colour:red", "kept"]
    with pytest.raises(AobenchError, match=r"filters\.near_duplicat: unknown filter 'near_duplicat'; did you mean 'near_duplicate'\?"):
        validate({"name": "x", "filters": {"near_duplicat": {"enabled": False}}})
    with pytest.raises(AobenchError, match=r"filters: .*filter 'drop_colour': expected a mapping"):
        validate({"name": "x", "filters": {"drop_colour": True}})
    # a spec read without plugin checks (a build's lock) still never skips an enabled filter it cannot run
    spec = FiltersSpec.model_validate({"near_duplicate": {"enabled": False}, "not_installed": {}})
    with pytest.raises(AobenchError, match="unknown filter 'not_installed'"):
        run_filters(recs, spec, FilterContext(root=tmp_path))


def test_plugin_backend_from_the_registry(monkeypatch):
    from aobench.generate.registry import BACKENDS, create_backend
    from aobench.recipe import validate

    monkeypatch.setattr(BACKENDS, "_entries", dict(BACKENDS._entries))

    class Solid:
        def __init__(self, spec, **kwargs):
            self.spec, self.kwargs = spec, kwargs

    BACKENDS.register("solid", Solid, "one colour per image")
    r = validate({"name": "x", "generator": {"backend": "solid"}})
    b = create_backend(r.generator.backend, r.generator, tiny=True)
    assert isinstance(b, Solid) and b.kwargs == {"tiny": True}
    with pytest.raises(AobenchError, match=r"unknown generator backend 'procedurl'; did you mean 'procedural'\?"):
        create_backend("procedurl", r.generator)
