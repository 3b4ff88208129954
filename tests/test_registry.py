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


def test_a_name_is_registered_once_unless_replaced():
    reg = Registry("task")
    reg.register("a", "os:getcwd", "first", meta={"v": 1})
    with pytest.raises(AobenchError, match=r"task 'a' is already registered — .*replace=True"):
        reg.register("a", "os:getcwd")
    with pytest.raises(AobenchError, match="already registered"):
        reg.register("a")(lambda: 1)
    assert reg.describe() == {"a": "first"} and reg.meta("a") == {"v": 1}  # the refused registration changed nothing
    reg.register("a", "os:getpid", "second", replace=True)
    import os

    assert reg.get("a") is os.getpid and reg.meta("a") is None


def test_metadata_is_read_without_importing_the_target():
    reg = Registry("data source")
    reg.register("x", "no_such_module_xyz:load", "a source", meta={"schema": "image×texts"})
    assert reg.meta("x") == {"schema": "image×texts"} and reg.entry("x").target == "no_such_module_xyz:load"
    with pytest.raises(AobenchError, match=r"unknown data source 'y'"):
        reg.meta("y")


def test_tasks_carry_their_headline_direction_and_options(monkeypatch):
    from aobench.evaluate.results import Result
    from aobench.evaluate.tasks import TASKS, TaskOption, check_options, list_tasks, register_task, task_spec

    assert task_spec("czsl").headline == "closed/best_hm" and task_spec("retrieval").headline == "text_retrieval_recall@1"
    listed = {t["name"]: t for t in list_tasks()}
    assert listed["czsl"]["options"] == ["czsl_protocol"] and listed["composition"]["direction"] == "higher"
    with pytest.raises(AobenchError, match=r"--czsl-protocol 'nope': choose reference or exact"):
        check_options({"czsl_protocol": "nope"})
    with pytest.raises(AobenchError, match="task 'czsl' is already registered"):
        register_task("czsl", "os:getcwd", "again")

    monkeypatch.setattr(TASKS, "_entries", dict(TASKS._entries))
    seen = []
    register_task("errors", lambda ctx: {}, "error rate", headline="err", higher_is_better=False,
                  options=(TaskOption("errors_k", 3, "k", lambda v: seen.append(v) or int(v)),))  # fmt: skip
    assert check_options({"errors_k": "5", "other": "x"}) == {"errors_k": 5, "other": "x"} and seen == ["5"]
    assert {t["name"]: t for t in list_tasks()}["errors"]["direction"] == "lower"
    # the table shows the metric the task names, though a generic headline key (acc1) is there too
    r = Result(dataset="d", model="m", pretrained="p", task="errors", metrics={"acc1": 0.5, "err": 0.25})
    assert r.headline() == ("err", 0.25)
    assert Result(dataset="d", model="m", pretrained="p", task="zeroshot_classification", metrics={"acc1": 0.5}).headline() == ("acc1", 0.5)


def test_backends_describe_themselves_for_the_card():
    from aobench.generate.backend import Backend, card_info
    from aobench.generate.diffusers_backend import DiffusersBackend
    from aobench.generate.procedural import ProceduralBackend
    from aobench.recipe import validate

    g = validate({"name": "x", "generator": {"backend": "diffusers", "model": "org/m", "options": {"compute_batch": 2}}}).generator
    assert card_info(DiffusersBackend, g, tiny=True) == {"backend": "diffusers", "resolution": 64, "model": f"tiny-random-{g.family}",
                                                         "steps": g.steps, "guidance_scale": g.guidance_scale, "compute_batch": 2}  # fmt: skip
    p = validate({"name": "x", "generator": {"backend": "procedural", "options": {"clutter": 2}}}).generator
    assert card_info(ProceduralBackend, p, tiny=True) == {"backend": "procedural", "resolution": p.resolution, "clutter": 2}

    class Plain:  # a plug-in that says nothing about itself still gets a card line
        name = "plain"

        def check(self, items): ...

        def generate(self, items): return []

    assert isinstance(Plain(), Backend) and card_info(Plain, p, tiny=False) == {"backend": "procedural", "resolution": p.resolution, "clutter": 2}
