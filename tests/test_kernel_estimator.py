"""KernelSSL: scikit-learn compatibility, agreement with the functional API, backends, errors."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import estimator_checks_generator

from ssltheory import _backend
from ssltheory.graphs import label_graph
from ssltheory.kernel import KernelSSL, induced_kernel, kernel_ssl_solve, median_bandwidth, rbf_kernel
from ssltheory.testing import assert_close

EPS = np.finfo(np.float64).eps


def _toy(rng, n=6, m=3, noise=0.2):
    base = rng.standard_normal((n, 2))
    x = np.concatenate([base + noise * rng.standard_normal((n, 2)) for _ in range(m)])
    return x, np.tile(np.arange(n), m)


def _sklearn_checks():
    # scikit-learn's own array-API checks are skipped unless SCIPY_ARRAY_API is set (and import torch,
    # CuPy ...); the backends are covered by test_array_api_end_to_end instead
    for estimator, check in estimator_checks_generator(KernelSSL(loss="vicreg", n_components=1)):
        name = check.func.__name__
        if not name.startswith("check_array_api"):
            yield pytest.param(estimator, check, id=name)


@pytest.mark.parametrize(("estimator", "check"), list(_sklearn_checks()))
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_clone_and_params():
    model = KernelSSL(n_components=3, loss="spectral_contrastive", ridge=1e-3, bandwidth=0.5)
    twin = clone(model)
    assert twin.get_params() == model.get_params()
    assert twin is not model
    twin.set_params(n_components=4)
    assert twin.n_components == 4
    assert model.n_components == 3


def test_matches_functional_api(xp, rng):
    x, groups = _toy(rng)
    xt = rng.standard_normal((4, 2))
    model = KernelSSL(n_components=3, ridge=1e-4).fit(xp.asarray(x), groups=xp.asarray(groups))
    bw = median_bandwidth(x)
    assert model.bandwidth_ == pytest.approx(bw, rel=1e-12)  # same formula on the same data
    k = rbf_kernel(x, bandwidth=bw)
    sol = kernel_ssl_solve(k, label_graph(groups), n_components=3, ridge=1e-4)
    expected = induced_kernel(sol.coef, rbf_kernel(x, xt, bandwidth=bw))
    got = model.induced_kernel(xp.asarray(xt))
    assert type(got) is type(xp.asarray(xt))
    # identical arithmetic up to the backend's BLAS: rounding amplified by cond(K)
    assert_close(got, expected, rtol=0, atol=sol.condition * 1e3 * EPS, check_namespace=False)
    assert_close(model.transform(xp.asarray(x)), model.embedding_, rtol=0, atol=sol.condition * 1e3 * EPS)


def test_precomputed_and_callable_kernels(rng):
    x, groups = _toy(rng)
    xt = rng.standard_normal((3, 2))
    k, kt = rbf_kernel(x, bandwidth=1.0), rbf_kernel(xt, x, bandwidth=1.0)
    pre = KernelSSL(kernel="precomputed").fit(k, groups=groups)
    call = KernelSSL(kernel=lambda a, b: rbf_kernel(a, b, bandwidth=1.0)).fit(x, groups=groups)
    rbf = KernelSSL(bandwidth=1.0).fit(x, groups=groups)
    tol = np.linalg.cond(k) * 1e3 * EPS
    assert_close(pre.transform(kt), rbf.transform(xt), rtol=0, atol=tol)
    assert_close(call.transform(xt), rbf.transform(xt), rtol=0, atol=tol)


def test_pipeline_downstream(rng):
    x, groups = _toy(rng, n=8, m=3)
    y = (x[:, 0] > 0).astype(float)
    pipe = make_pipeline(KernelSSL(n_components=4, bandwidth=1.0), Ridge(alpha=1e-3))
    pipe.fit(x, y)
    assert pipe.predict(x).shape == y.shape
    # spec item 17: ridge regression on f equals kernel ridge regression with k*
    model = KernelSSL(n_components=4, bandwidth=1.0).fit(x, groups=groups)
    f = model.transform(x)
    lin = Ridge(alpha=0.1, fit_intercept=False).fit(f, y)
    krr = KernelRidge(alpha=0.1, kernel="precomputed").fit(model.induced_kernel(x), y)
    xt = rng.standard_normal((5, 2))
    assert_close(
        lin.predict(model.transform(xt)), krr.predict(model.induced_kernel(xt, x)), rtol=1e-8, atol=1e-8
    )


def test_nystrom_estimator_converges_to_exact(rng):
    x, groups = _toy(rng, n=10, m=3, noise=0.3)
    exact = KernelSSL(n_components=2, bandwidth=1.0, ridge=1e-2).fit(x, groups=groups)
    full = KernelSSL(n_components=2, bandwidth=1.0, ridge=1e-2, n_landmarks=30, random_state=0).fit(
        x, groups=groups
    )
    xt = rng.standard_normal((4, 2))
    # all points as landmarks: exact up to the rtol-truncated inverse square root
    assert_close(full.induced_kernel(xt), exact.induced_kernel(xt), rtol=0, atol=1e-6)
    errs = []
    for n_land in (5, 15, 30):
        ny = KernelSSL(n_components=2, bandwidth=1.0, ridge=1e-2, n_landmarks=n_land, random_state=1)
        ny.fit(x, groups=groups)
        errs.append(float(np.abs(ny.induced_kernel(x) - exact.induced_kernel(x)).max()))
    assert errs[-1] < errs[0]


def test_fit_errors(rng):
    x, groups = _toy(rng)
    with pytest.raises(ValueError, match="at most one of groups and graph"):
        KernelSSL().fit(x, groups=groups, graph=label_graph(groups))
    with pytest.raises(ValueError, match=r"groups must have shape \(18,\)"):
        KernelSSL().fit(x, groups=groups[:5])
    with pytest.raises(ValueError, match=r"graph must have shape \(18, 18\)"):
        KernelSSL().fit(x, graph=np.eye(3))
    with pytest.raises(ValueError, match="kernel must be one of"):
        KernelSSL(kernel="cosine").fit(x)
    with pytest.raises(ValueError, match="NaN"):
        KernelSSL().fit(np.full((4, 2), np.nan))
    with pytest.raises(ValueError, match="not positive semi-definite"):
        KernelSSL(kernel="precomputed").fit(np.diag([1.0, 1.0, 1.0, 1.0, -0.5]), groups=np.arange(5))
    with pytest.raises(ValueError, match="larger than the rank allows"):
        KernelSSL(n_components=3, kernel="linear").fit(x, groups=groups)
    with pytest.raises(ValueError, match="bandwidth must be 'median'"):
        KernelSSL(bandwidth="scott").fit(x)


def test_array_api_end_to_end(xp, rng):
    x, groups = _toy(rng)
    xa = xp.asarray(x)
    for model in (
        KernelSSL(n_components=2, loss="spectral_contrastive", weighting="none"),
        KernelSSL(n_components=2, n_landmarks=9, random_state=0),
    ):
        out = model.fit_transform(xa, groups=xp.asarray(groups))
        assert type(out) is type(xa)
        assert out.shape == (18, 2)
        assert _backend.device(out) == _backend.device(xa)
