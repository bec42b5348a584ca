#!/usr/bin/python3
"""Golden values for PluginMoE.Tensors, produced by PyTorch (Debian's python3-torch 1.13).

Run: /usr/bin/python3 tools/golden/generate_ops.py
Writes tests/PluginMoE.Tensors.Tests/Fixtures/golden/ops.json and adamw.json. Each op case stores
float32 inputs, the forward output, a fixed upstream gradient and the gradients of every float
input, so the C# tests can replay the same computation and compare (CI needs no PyTorch).
Ops that PyTorch 1.13 lacks (rms_norm, rotary embedding, causal attention with GQA) are written
out from their defining formulas here.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

torch.manual_seed(20261125)
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "PluginMoE.Tensors.Tests", "Fixtures", "golden")


def enc(t):
    t = t.detach()
    kind = "int64" if t.dtype == torch.int64 else ("bool" if t.dtype == torch.bool else "float32")
    vals = t.reshape(-1).tolist()
    if kind == "bool":
        vals = [1 if v else 0 for v in vals]
    return {"dtype": kind, "shape": list(t.shape), "data": vals}


def rnd(*shape):
    return torch.randn(*shape, dtype=torch.float32)


cases = []


def case(name, fn, inputs, grad=True):
    """inputs: list of tensors; float ones get requires_grad when grad=True."""
    ins = [x.clone().requires_grad_(grad and x.is_floating_point()) for x in inputs]
    out = fn(*ins)
    entry = {"name": name, "inputs": [enc(x) for x in ins], "output": enc(out)}
    if grad and out.is_floating_point():
        g = torch.randn(out.shape, dtype=torch.float32)
        out.backward(g)
        entry["grad_output"] = enc(g)
        entry["grads"] = [enc(x.grad) if (x.is_floating_point() and x.grad is not None) else None for x in ins]
    cases.append(entry)


# ---- element-wise and broadcasting
case("add_broadcast", lambda a, b: a + b, [rnd(3, 4), rnd(4)])
case("sub_broadcast", lambda a, b: a - b, [rnd(3, 1), rnd(1, 4)])
case("mul_broadcast", lambda a, b: a * b, [rnd(2, 3, 4), rnd(3, 1)])
case("div", lambda a, b: a / b, [rnd(3, 4), rnd(3, 4).abs() + 0.5])
case("pow_scalar", lambda a: a.abs().add(0.1).pow(1.7), [rnd(3, 4)])
case("exp", torch.exp, [rnd(3, 4)])
case("log", lambda a: torch.log(a.abs() + 0.1), [rnd(3, 4)])
case("sqrt", lambda a: torch.sqrt(a.abs() + 0.1), [rnd(3, 4)])
case("rsqrt", lambda a: torch.rsqrt(a.abs() + 0.1), [rnd(3, 4)])
case("tanh", torch.tanh, [rnd(3, 4)])
case("sigmoid", torch.sigmoid, [rnd(3, 4)])
case("relu", F.relu, [rnd(3, 4)])
case("silu", F.silu, [rnd(3, 4)])
case("gelu_erf", lambda a: F.gelu(a), [rnd(3, 4) * 2])
case("gelu_tanh", lambda a: F.gelu(a, approximate="tanh"), [rnd(3, 4) * 2])
case("sum_dim", lambda a: a.sum(dim=1), [rnd(3, 4, 5)])
case("mean_dims_keepdim", lambda a: a.mean(dim=(0, 2), keepdim=True), [rnd(3, 4, 5)])
case("amax_dim", lambda a: a.amax(dim=-1), [rnd(3, 5)])
case("logsumexp", lambda a: torch.logsumexp(a, dim=-1), [rnd(3, 5) * 3])
case("where", lambda c, a, b: torch.where(c, a, b), [torch.rand(3, 4) > 0.5, rnd(3, 4), rnd(4)])
case("masked_fill", lambda a, m: a.masked_fill(m, -2.5), [rnd(3, 4), torch.rand(1, 4) > 0.5])

# ---- matmul family
case("matmul_2d", torch.matmul, [rnd(5, 7), rnd(7, 3)])
case("matmul_batched_broadcast", torch.matmul, [rnd(2, 3, 4, 5), rnd(5, 6)])
case("matmul_transposed", lambda a, b: a.transpose(0, 1) @ b.transpose(0, 1), [rnd(7, 5), rnd(3, 7)])
case("linear_bias", F.linear, [rnd(2, 3, 6), rnd(4, 6), rnd(4)])

# ---- softmax and losses
case("softmax_last", lambda a: torch.softmax(a, dim=-1), [rnd(3, 6) * 3])
case("softmax_dim0", lambda a: torch.softmax(a, dim=0), [rnd(3, 6)])
case("log_softmax", lambda a: torch.log_softmax(a, dim=-1), [rnd(4, 6) * 3])
tgt = torch.tensor([1, 0, 4, -100, 2, 5], dtype=torch.int64)
case("cross_entropy_ignore", lambda x, t: F.cross_entropy(x, t, ignore_index=-100), [rnd(6, 6) * 2, tgt])
case("cross_entropy_smoothing", lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1), [rnd(6, 6) * 2, torch.tensor([1, 0, 4, 3, 2, 5])])
case("cross_entropy_sum", lambda x, t: F.cross_entropy(x, t, reduction="sum"), [rnd(5, 4), torch.tensor([3, 0, 1, 2, 2])])

# ---- indexing and dispatch
case("embedding", lambda ids, w: F.embedding(ids, w), [torch.tensor([[1, 3, 3], [0, 4, 1]]), rnd(5, 4)])
case("topk_values", lambda a: torch.topk(a, 2, dim=-1).values, [rnd(4, 8)])
case("gather", lambda a, i: torch.gather(a, 1, i), [rnd(3, 5), torch.tensor([[0, 4], [2, 2], [1, 3]])])
case("scatter_add", lambda a, i, s: a.scatter_add(0, i, s), [rnd(4, 3), torch.tensor([[0, 1, 3], [3, 1, 0]]), rnd(2, 3)])
case("index_select", lambda a, i: torch.index_select(a, 0, i), [rnd(5, 3), torch.tensor([4, 0, 4, 2])])
case("index_add", lambda a, i, s: a.index_add(0, i, s), [rnd(5, 3), torch.tensor([4, 0, 4]), rnd(3, 3)])
case("cat_dim1", lambda a, b: torch.cat([a, b], dim=1), [rnd(2, 3), rnd(2, 2)])
case("stack_dim1", lambda a, b: torch.stack([a, b], dim=1), [rnd(2, 3), rnd(2, 3)])
case("cumsum", lambda a: torch.cumsum(a, dim=1), [rnd(3, 5)])


# ---- fused transformer ops, from their definitions
def rms_norm(x, w, eps=1e-6):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


case("rms_norm", rms_norm, [rnd(3, 8), 1 + 0.1 * rnd(8)])
case("layer_norm", lambda x, w, b: F.layer_norm(x, (8,), w, b, 1e-5), [rnd(3, 8), 1 + 0.1 * rnd(8), 0.1 * rnd(8)])


def rope(x, theta=10000.0, offset=0):
    # x (B, H, T, D); Llama rotate-half convention
    d = x.shape[-1]
    inv = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.float32) / d))
    pos = torch.arange(offset, offset + x.shape[-2], dtype=torch.float32)
    fr = torch.outer(pos, inv)
    emb = torch.cat([fr, fr], dim=-1)
    cos, sin = emb.cos(), emb.sin()
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    rot = torch.cat([-x2, x1], dim=-1)
    return x * cos + rot * sin


case("rope", rope, [rnd(2, 3, 5, 8)])


def causal_attention(q, k, v):
    # q (B, Hq, T, D), k/v (B, Hkv, S, D); query i attends keys j <= i + (S - T)
    hq, hkv = q.shape[1], k.shape[1]
    k = k.repeat_interleave(hq // hkv, dim=1)
    v = v.repeat_interleave(hq // hkv, dim=1)
    t, s = q.shape[2], k.shape[2]
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    mask = torch.ones(t, s, dtype=torch.bool).tril(diagonal=s - t)
    scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


case("attention_causal", causal_attention, [rnd(1, 2, 6, 4), rnd(1, 2, 6, 4), rnd(1, 2, 6, 4)])
case("attention_causal_gqa", causal_attention, [rnd(2, 4, 5, 4), rnd(2, 2, 5, 4), rnd(2, 2, 5, 4)])

os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, "ops.json"), "w") as f:
    json.dump({"generator": "tools/golden/generate_ops.py", "torch": torch.__version__, "cases": cases}, f)

# ---- AdamW trajectory: two parameter groups, fixed gradients each step
p1 = rnd(4, 3)
p2 = rnd(5)
grads = [(rnd(4, 3), rnd(5)) for _ in range(6)]
a, b = p1.clone().requires_grad_(), p2.clone().requires_grad_()
opt = torch.optim.AdamW([{"params": [a], "weight_decay": 0.1}, {"params": [b], "weight_decay": 0.0}],
                        lr=0.01, betas=(0.9, 0.95), eps=1e-8)
traj = []
for g1, g2 in grads:
    a.grad, b.grad = g1.clone(), g2.clone()
    opt.step()
    traj.append([enc(a), enc(b)])
with open(os.path.join(OUT, "adamw.json"), "w") as f:
    json.dump({"generator": "tools/golden/generate_ops.py", "lr": 0.01, "betas": [0.9, 0.95], "eps": 1e-8,
               "weight_decay": [0.1, 0.0], "init": [enc(p1), enc(p2)],
               "grads": [[enc(g1), enc(g2)] for g1, g2 in grads], "trajectory": traj}, f)
print(f"wrote {len(cases)} op cases and an AdamW trajectory of {len(grads)} steps to {os.path.normpath(OUT)}")
