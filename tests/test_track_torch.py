"""TheoryTracker inside plain PyTorch loops (and a duck-typed Lightning callback): slow, needs torch."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ssltheory import _backend  # noqa: E402
from ssltheory.graphs import augmentation_graph  # noqa: E402
from ssltheory.losses import convert_vicreg_weights, vicreg_loss  # noqa: E402
from ssltheory.track import TheoryTracker  # noqa: E402

pytestmark = pytest.mark.slow

B, D, K = 64, 12, 8
WEIGHTS = {"variance_weight": 2.0, "covariance_weight": 1.0, "invariance_weight": 0.5}


def _vicreg_torch(z1, z2, *, variance_weight, covariance_weight, invariance_weight):
    """Paper-form VICReg (squared variance penalty) on the stacked views, written in torch."""
    z = torch.cat([z1, z2])
    n = z.shape[0]
    zc = z - z.mean(0)
    c = zc.T @ zc / (n - 1)
    var = torch.diagonal(c)
    off = c - torch.diag(var)
    inv = 2.0 * ((z1 - z2) ** 2).sum() / n  # (1/N) Σ_ij G_ij ‖z_i − z_j‖², each pair twice
    return (
        variance_weight * ((1 - var) ** 2).sum()
        + covariance_weight * (off**2).sum()
        + invariance_weight * inv
    )


class _Spy(torch.overrides.TorchFunctionMode):
    """Records the torch functions called and the sizes of tensors that leave torch."""

    def __init__(self):
        super().__init__()
        self.names: set[str] = set()
        self.exported: list[int] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", str(func))
        self.names.add(name)
        if (
            name in ("__dlpack__", "numpy", "__array__", "tolist")
            and args
            and isinstance(args[0], torch.Tensor)
        ):
            self.exported.append(args[0].numel())
        return func(*args, **(kwargs or {}))


def _data(gen, n_total=2048):
    return torch.randn(n_total, D, generator=gen) @ torch.diag(torch.linspace(2.0, 0.2, D))


def test_plain_pytorch_loop_records_floats_and_computes_on_torch():
    gen = torch.Generator().manual_seed(0)
    signal = _data(gen)
    head = torch.nn.Sequential(torch.nn.Linear(D, 32), torch.nn.ReLU(), torch.nn.Linear(32, K))
    opt = torch.optim.SGD(head.parameters(), lr=0.02)
    tracker = TheoryTracker(every=5, **WEIGHTS)
    losses = {}
    for step in range(40):
        x = signal[torch.randint(0, signal.shape[0], (B,), generator=gen)]
        x1 = x + 0.3 * torch.randn(x.shape, generator=gen)
        x2 = x + 0.3 * torch.randn(x.shape, generator=gen)
        z1, z2 = head(x1), head(x2)
        loss = _vicreg_torch(z1, z2, **WEIGHTS)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses[step] = float(loss.detach())
        views = (z1.detach(), z2.detach())
        before = [v.clone() for v in views]
        if step % 5 == 0:
            spy = _Spy()
            with spy:
                rec = tracker.update(step, views)
            # the math ran on torch: the products and the eigenvalue problems are torch calls ...
            assert {"matmul", "linalg_eigvalsh"} <= spy.names, spy.names
            # ... and only scalars and the first n_spectrum eigenvalues left torch
            assert max(spy.exported, default=0) <= K
        else:
            rec = tracker.update(step, views)
            assert rec is None
        for v, w in zip(views, before, strict=True):
            assert v.dtype == torch.float32
            assert v.device.type == "cpu"
            assert torch.equal(v, w)
    records = tracker.to_records()
    assert [r["step"] for r in records] == list(range(0, 40, 5))
    for rec in records:
        # the tracker's loss equals the torch loss computed in the loop (float32: ~K²·eps32)
        assert rec["loss"] == pytest.approx(losses[rec["step"]], rel=1e-4)
        for key in ("loss", "optimal_loss", "gap", "rankme", "lidar", "alpha_req", "alignment", "uniformity"):
            assert type(rec[key]) is float, key
        assert type(rec["observed_rank"]) is int
        assert rec["gap"] >= -1e-4 * abs(rec["optimal_loss"])  # float32 rounding only below the optimum
    assert isinstance(tracker.last_spectrum, torch.Tensor)
    assert tracker.last_spectrum.dtype == torch.float32
    assert isinstance(tracker.last_solution.scales, torch.Tensor)
    assert records[-1]["loss"] < records[0]["loss"]  # training made progress towards the optimum


def test_float64_torch_loss_equals_the_numpy_evaluator():
    gen = torch.Generator().manual_seed(1)
    z1 = torch.randn(B, K, generator=gen, dtype=torch.float64)
    z2 = z1 + 0.2 * torch.randn(B, K, generator=gen, dtype=torch.float64)
    rec = TheoryTracker(**WEIGHTS).update(0, (z1, z2))
    z = np.concatenate([_backend.to_numpy(z1), _backend.to_numpy(z2)])
    assert rec["loss"] == pytest.approx(float(vicreg_loss(z, augmentation_graph(B, 2), **WEIGHTS)), rel=1e-10)


def test_documented_linear_example_runs():
    torch.manual_seed(0)
    b, d, k = 128, 16, 8
    signal = torch.randn(2048, d)
    head = torch.nn.Linear(d, k)
    opt = torch.optim.Adam(head.parameters(), lr=1e-2)

    def vicreg(z1, z2, sim=25.0, std=25.0, cov=1.0):  # as solo-learn / lightly write it
        inv = torch.nn.functional.mse_loss(z1, z2)
        var = covl = 0.0
        for z in (z1, z2):
            z = z - z.mean(0)
            s = torch.sqrt(z.var(0) + 1e-4)
            var = var + torch.relu(1 - s).mean() / 2
            c = z.T @ z / (z.shape[0] - 1)
            covl = covl + (c - torch.diag(torch.diag(c))).pow(2).sum() / z.shape[1]
        return sim * inv + std * var + cov * covl

    weights = convert_vicreg_weights(
        variance_weight=25.0,
        covariance_weight=1.0,
        invariance_weight=25.0,
        n_components=k,
        from_convention="reference",
        to_convention="paper",
    )
    tracker = TheoryTracker(model="linear", every=10, **weights)
    for step in range(30):
        x = signal[torch.randint(0, 2048, (b,))]
        x1 = x + 0.3 * torch.randn_like(x)
        x2 = x + 0.3 * torch.randn_like(x)
        z1, z2 = head(x1), head(x2)
        loss = vicreg(z1, z2)
        opt.zero_grad()
        loss.backward()
        opt.step()
        tracker.update(step, (z1.detach(), z2.detach()), features=(x1, x2))
    records = tracker.to_records()
    assert len(records) == 3
    # the linear optimum is the minimum over heads Z = XW on that batch (the bias is free: the loss
    # is translation invariant), so the trained head sits above it (float32 rounding aside)
    assert all(r["gap"] >= -1e-4 * abs(r["optimal_loss"]) for r in records)


def _fake_lightning(monkeypatch):
    """A stand-in ``lightning.pytorch`` with only ``Callback`` (Lightning is not installed here)."""

    class Callback:
        pass

    pl = types.ModuleType("lightning.pytorch")
    pl.Callback = Callback
    root = types.ModuleType("lightning")
    root.pytorch = pl
    monkeypatch.setitem(sys.modules, "lightning", root)
    monkeypatch.setitem(sys.modules, "lightning.pytorch", pl)
    return Callback


def test_lightning_callback_with_a_duck_typed_trainer(monkeypatch):
    from ssltheory.integrations.lightning import TheoryCallback

    base = _fake_lightning(monkeypatch)
    logged = []

    class Module:
        def log_dict(self, values, **kwargs):
            logged.append((values, kwargs))

    class Trainer:
        global_step = 0

    cb = TheoryCallback(TheoryTracker(every=2, **WEIGHTS), lambda out, batch: (out["z1"], out["z2"]))
    assert isinstance(cb, base)
    assert isinstance(cb, TheoryCallback)
    trainer, module = Trainer(), Module()
    gen = torch.Generator().manual_seed(2)
    for step in range(5):
        trainer.global_step = step
        z1 = torch.randn(B, K, generator=gen)
        out = {"z1": z1, "z2": z1 + 0.1 * torch.randn(B, K, generator=gen)}
        cb.on_train_batch_end(trainer, module, out, None, step)
    assert [r["step"] for r in cb.tracker.to_records()] == [0, 2, 4]
    assert len(logged) == 3
    values, kwargs = logged[0]
    assert kwargs == {"on_step": True, "on_epoch": False}
    assert values["theory/loss"] == pytest.approx(cb.tracker.to_records()[0]["loss"])
    assert all(isinstance(v, float) for v in values.values())
    with pytest.raises(TypeError, match="tracker must be a TheoryTracker"):
        TheoryCallback(object(), lambda out, batch: out)
    with pytest.raises(TypeError, match="extract must be callable"):
        TheoryCallback(TheoryTracker(), 3)
