"""Joint-embedding SSL in the kernel regime (spec/kernel.md; arXiv:2209.14884).

Inputs are mapped to the RKHS of a kernel and the representation is the minimum-norm optimal
linear map :math:`f(x) = Ck_x` from the RKHS to :math:`\\mathbb R^d`; the **induced kernel**
:math:`k^*(x, x') = f(x)^\\top f(x')` is built only from kernel evaluations and the relation graph.

- kernels: :func:`linear_kernel`, :func:`polynomial_kernel`, :func:`rbf_kernel`,
  :func:`laplacian_kernel`, :func:`median_bandwidth`;
- closed forms: :func:`kernel_ssl_solve` (VIC-hard/soft, spectral contrastive, with ridge,
  centring, feature normalisation and the kernel tie-break), :func:`induced_kernel`;
- numerical path for losses without a closed form: :func:`kernel_ssl_minimize`;
- scale-out: :func:`nystrom_features` + :func:`linear_ssl_solve`, or
  :func:`linear_ssl_solve_from_statistics` on streamed (e.g. Dask) statistics;
- the scikit-learn estimator :class:`KernelSSL`.
"""

from ssltheory.kernel._estimator import KernelSSL
from ssltheory.kernel._kernels import (
    laplacian_kernel,
    linear_kernel,
    median_bandwidth,
    polynomial_kernel,
    rbf_kernel,
)
from ssltheory.kernel._minimize import kernel_ssl_minimize
from ssltheory.kernel._results import FeatureSolution, KernelSolution
from ssltheory.kernel._solve import (
    induced_kernel,
    kernel_ssl_solve,
    linear_ssl_solve,
    linear_ssl_solve_from_statistics,
    nystrom_features,
)

__all__ = [
    "FeatureSolution",
    "KernelSSL",
    "KernelSolution",
    "induced_kernel",
    "kernel_ssl_minimize",
    "kernel_ssl_solve",
    "laplacian_kernel",
    "linear_kernel",
    "linear_ssl_solve",
    "linear_ssl_solve_from_statistics",
    "median_bandwidth",
    "nystrom_features",
    "polynomial_kernel",
    "rbf_kernel",
]
