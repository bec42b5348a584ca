#!/usr/bin/python3
"""Golden values for the fused residual add + RMSNorm (its two-output backward) and for in-place ops with autograd,
produced by PyTorch (Debian's python3-torch 1.13), in float64.

Run: /usr/bin/python3 tools/golden/fusion.py
Writes tests/PluginMoE.Tensors.Tests/Fixtures/golden/fusion.json. PyTorch 1.13 has no fused add + RMSNorm, so the
reference is the defining formula (sum = x + residual; y = sum * rsqrt(mean(sum^2) + eps) * weight) run through
PyTorch's autograd; each case stores the inputs, both results, the upstream gradients given to each result (null
when that result is not used by the loss) and the gradients of every input. The in-place cases replay a chain of
add_/sub_/mul_/div_/clamp_/copy_/fill_ on a non-leaf tensor and store the input gradients PyTorch computes.
"""
import json
import os

import torch

torch.manual_seed(20261130)
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "PluginMoE.Tensors.Tests", "Fixtures", "golden")


def enc(t):
    if t is None:
        return None
    t = t.detach()
    return {"shape": list(t.shape), "data": t.reshape(-1).tolist()}


def rnd(*shape):
    return torch.randn(*shape, dtype=torch.float64)


cases = []


def add_rms_norm_case(name, shape, weight, use_sum, use_y, eps=1e-6):
    c = shape[-1]
    x, r = rnd(*shape).requires_grad_(), rnd(*shape).requires_grad_()
    w = (1 + 0.1 * rnd(c)).requires_grad_() if weight else None
    s = x + r
    y = s * torch.rsqrt(s.pow(2).mean(-1, keepdim=True) + eps)
    if w is not None:
        y = y * w
    gs = rnd(*shape) if use_sum else None
    gy = rnd(*shape) if use_y else None
    loss = 0
    if gs is not None:
        loss = loss + (s * gs).sum()
    if gy is not None:
        loss = loss + (y * gy).sum()
    loss.backward()
    cases.append({
        "name": name, "kind": "add_rms_norm", "eps": eps,
        "x": enc(x), "residual": enc(r), "weight": enc(w),
        "sum": enc(s), "output": enc(y), "grad_sum": enc(gs), "grad_output": enc(gy),
        "grad_x": enc(x.grad), "grad_residual": enc(r.grad), "grad_weight": enc(w.grad if w is not None else None),
    })


add_rms_norm_case("both_results", (2, 3, 16), True, True, True)
add_rms_norm_case("output_only", (5, 16), True, False, True)
add_rms_norm_case("sum_only", (5, 16), True, True, False)
add_rms_norm_case("no_weight", (4, 12), False, True, True, eps=1e-5)


def inplace_case(name, fn, n_inputs, shape=(3, 4)):
    ins = [rnd(*shape).requires_grad_() for _ in range(n_inputs)]
    out = fn(*ins)
    g = rnd(*out.shape)
    out.backward(g)
    cases.append({
        "name": name, "kind": "inplace", "inputs": [enc(t) for t in ins], "output": enc(out),
        "grad_output": enc(g), "grads": [enc(t.grad) for t in ins],
    })


# Each chain starts from a non-leaf (a * 1.5) so that the in-place ops are recorded.
inplace_case("add_sub_alpha", lambda a, b, c: (a * 1.5).add_(b, alpha=0.5).sub_(c, alpha=2.0).add_(0.25), 3)
inplace_case("mul_div", lambda a, b, c: (a * 1.5).mul_(b).div_(c.abs() + 0.5).mul_(-3.0), 3)
inplace_case("clamp", lambda a, b: (a * 1.5).clamp_(-0.7, 0.9).mul_(b).clamp_(min=-0.2), 2)
inplace_case("copy_fill", lambda a, b: torch.cat([(a * 1.5).copy_(b * 2), (a * 2).fill_(3.0), (a * 1.0).zero_()]) * a.sum(), 2)
inplace_case("broadcast_other", lambda a, b: (a * 1.5).add_(b[0]).mul_(b[1:2]), 2)
inplace_case("neg_then_use", lambda a: (lambda h: h * h)((a * 1.5).neg_()), 1)

os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, "fusion.json"), "w") as f:
    json.dump({"generator": "tools/golden/fusion.py", "torch": torch.__version__, "cases": cases}, f)
print(f"wrote {len(cases)} cases")
