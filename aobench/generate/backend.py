"""The generator contract, written once: what a backend registered in `BACKENDS` must give the build."""

from __future__ import annotations

from typing import Any, Protocol, Sequence, runtime_checkable


@runtime_checkable
class Backend(Protocol):
    """A text-to-image generator, constructed per build as `Backend(spec, *, tiny=False, device="auto", **kwargs)`.

    `spec` is the recipe's `generator` section (`backend`, `model`, `resolution`, `options`, ...). Items are
    plan items (`id`, `prompt`, `seed`, `attribute`, `object`, `file`); `generate` returns one PIL image per
    item, in order, each drawn from the item's own seed so any batching gives the same images. An optional
    `device` attribute names where the backend runs (the filters run there too).
    """

    name: str

    def check(self, items: Sequence[Any]) -> None:
        """Raise AobenchError before any image is made if an item cannot be drawn."""

    def generate(self, items: Sequence[Any]) -> list:
        """One image per item, in order."""


def card_info(backend_cls: Any, spec: Any, tiny: bool) -> dict:
    """The card's generator line: the backend class's `card_info(spec, tiny)` (a classmethod: no weights load), else backend and resolution.

    Computed from the recipe (= recipe.lock.yaml) and --tiny only, so a resumed build renders the same card;
    the recipe's `generator.options` follow, sorted, where the backend did not say them itself.
    """
    own = getattr(backend_cls, "card_info", None)
    info = dict(own(spec, tiny)) if callable(own) else {"backend": spec.backend, "resolution": spec.resolution}
    info.update({k: v for k, v in sorted(spec.options.items()) if k not in info})
    return info
