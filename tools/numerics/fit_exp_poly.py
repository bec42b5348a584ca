# Fits the polynomial of VectorMath's float32 exp (src/Tensors/Backends/VectorMath.cs): exp(r) = 1 + r + r^2 P(r),
# P of degree 4 on |r| <= ln2/2, weighted least squares on Chebyshev nodes with iterative reweighting toward the
# minimax (relative error of exp). Prints the float32 coefficients and the error before float32 rounding.
# Run: python3 tools/numerics/fit_exp_poly.py (numpy only).
import numpy as np

a = np.log(2) / 2
n = 4000
r = a * np.cos(np.pi * (np.arange(n) + 0.5) / n)
r = r[np.abs(r) > 1e-6]
f = (np.expm1(r) - r) / r**2
w = r**2 / np.exp(r)  # error of P times r^2, relative to exp(r)
deg = 4
A = np.vstack([r**k for k in range(deg + 1)]).T
ww = np.ones_like(r)
for _ in range(50):
    c, *_ = np.linalg.lstsq(A * (w * ww)[:, None], f * w * ww, rcond=None)
    e = np.abs((A @ c - f) * w)
    ww = ww * np.sqrt(e / e.mean() + 1e-3)
c32 = np.float32(c)
print(["%.9e" % x for x in c32])
err = np.abs(1 + r + r * r * (A @ c32.astype(np.float64)) - np.exp(r)) / np.exp(r)
print("max relative error %.3f ulp of 1" % (err.max() / 2**-23))
