"""`wise:SPEC_A,SPEC_B@ALPHA` model specs: WiSE-FT, the weights (1-ALPHA)*A + ALPHA*B of two models of one architecture."""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

from aobench.errors import AobenchError
from aobench.evaluate.cache import hash_text
from aobench.evaluate.kinds.base import Identity, ModelKind, ModelSpec
from aobench.evaluate.models import model_kind, parse_spec, resolve


def _interpolate(a, b, alpha: float) -> None:
    """Set module a's weights to (1-alpha)*a + alpha*b in place; architectures must match."""
    import torch

    sa, sb = a.state_dict(), b.state_dict()
    if sa.keys() != sb.keys() or any(sa[k].shape != sb[k].shape for k in sa):
        raise AobenchError("the two checkpoints have different architectures (WiSE needs one architecture)")
    with torch.no_grad():
        mixed = {k: (torch.lerp(v.float(), sb[k].float(), alpha).to(v.dtype) if v.is_floating_point() else v) for k, v in sa.items()}
    a.load_state_dict(mixed)


class WiseKind(ModelKind):
    """wise:SPEC_A,SPEC_B[@ALPHA] (without ALPHA, `--wise-alphas` sweeps it)."""

    forms = {"wise:SPEC_A,SPEC_B@ALPHA": "WiSE-FT interpolation (1-ALPHA)*A + ALPHA*B; --wise-alphas sweeps ALPHA"}

    def parse(self, spec: str, body: str) -> ModelSpec:
        """Two component specs and an optional last @ALPHA in [0, 1]."""
        alpha: Optional[float] = None
        if "@" in body:
            head, tail = body.rsplit("@", 1)
            try:
                alpha = float(tail)
                body = head
            except ValueError:
                pass  # an '@' inside a component spec (a revision); no alpha given
        comps = body.split(",")
        if len(comps) != 2 or not all(c.strip() for c in comps):
            raise AobenchError(f"bad model spec {spec!r}: wise needs two component specs, e.g. wise:open_clip:ARCH:/a.pt,open_clip:ARCH:/b.pt@0.5")
        a, b = parse_spec(comps[0]), parse_spec(comps[1])
        if "wise" in (a.kind, b.kind):
            raise AobenchError(f"bad model spec {spec!r}: wise components cannot be wise specs")
        if alpha is not None and not 0.0 <= alpha <= 1.0:
            raise AobenchError(f"bad model spec {spec!r}: WiSE alpha {alpha:g} must lie in [0, 1]")
        return self._named(ModelSpec(spec=spec, kind="wise", parts=(a, b), alpha=alpha))

    @staticmethod
    def _named(ms: ModelSpec) -> ModelSpec:
        a, b = ms.parts
        pre = f"wise({a.pretrained_name},{b.pretrained_name})" + ("" if ms.alpha is None else f"@{ms.alpha:g}")
        return replace(ms, model_name=a.model_name, pretrained_name=pre)

    def with_alpha(self, ms: ModelSpec, alpha: float) -> ModelSpec:
        """The spec of one point of an alpha sweep (`SPEC@ALPHA`)."""
        # the alpha is what the spec string says, so rerunning the printed spec gives the same weights
        return self._named(replace(ms, spec=f"{ms.spec}@{alpha:g}", alpha=float(f"{alpha:g}")))

    def identify(self, ms: ModelSpec) -> Identity:
        """Both components' identities and the alpha; the revision lists the components' commits (',' between)."""
        a, b = (resolve(p) for p in ms.parts)
        revision = f"{a.revision or ''},{b.revision or ''}" if (a.revision or b.revision) else None
        return Identity(hash_text(f"wise|{a.key}|{b.key}|{ms.alpha!r}"), revision)

    def load_module(self, ms: ModelSpec, device: str):
        """Component A's module with the interpolated weights, wrapped like A."""
        pa, pb = ms.parts
        a, wrap = model_kind(pa.kind).load_module(pa, device)
        b, _ = model_kind(pb.kind).load_module(pb, device)
        _interpolate(a, b, float(ms.alpha))
        del b
        return a, lambda m, amp: _renamed(wrap(m, amp), ms.spec)


def _renamed(em, name: str):
    em.name = name
    return em


WISE = WiseKind()
