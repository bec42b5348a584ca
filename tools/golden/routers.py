# Golden values for tests/PluginMoE.Plugins.Tests/Routers/RouterGoldenTests.cs: one MoE block (router + SwiGLU
# experts, a shared expert for Nexus) per router, written from the formulas of docs/methods.md in PyTorch 1.13,
# float64, with a naive per-slot loop: outputs, expert ids, gates, both auxiliary losses and the gradient of every
# parameter and of the input. Routers: linear (topk-softmax, softmax-topk, softmax-topk-renormalise, switch, soft),
# nexus (hypernetwork W2 SwiGLU(W1 d_i), p = softmax(x E^T), gate = p not renormalised), xmoe (paper form with
# token normalisation and learned temperature; torchscale code form), multi-head (W_head/W_merge with bias,
# sub-tokens of width d/h, inner xmoe or linear router, experts of width d/h).
# Losses: alpha * n * sum_i f_i P_i over routed units (tokens or sub-tokens) and beta * mean(logsumexp(logits)^2).
# Run from the repository root: /usr/bin/python3 tools/golden/routers.py
import json
import torch
import torch.nn.functional as F

dt = torch.float64
D, H, N_EXP, T = 8, 5, 4, 7          # model width, expert inner width, experts, tokens
M, HYPER = 5, 6                       # Nexus: domain-embedding width m, hypernetwork hidden width
R = 4                                 # X-MoE routing dimension in the fixture (default 16 in the plugin)
HEADS = 2                             # multi-head: sub-tokens per token
SHARED = 3                            # shared expert inner width (Nexus cases)
ALPHA, BETA = 0.01, 0.001
EPS = 1e-4                            # L2-normalisation floor (torchscale's F.normalize eps)


def swiglu(w, x):
    return F.linear(F.silu(F.linear(x, w["gate_proj.weight"])) * F.linear(x, w["up_proj.weight"]), w["down_proj.weight"])


def expert_weights(gen, width, hidden):
    return {
        "gate_proj.weight": torch.randn(hidden, width, dtype=dt, generator=gen) * 0.5,
        "up_proj.weight": torch.randn(hidden, width, dtype=dt, generator=gen) * 0.5,
        "down_proj.weight": torch.randn(width, hidden, dtype=dt, generator=gen) * 0.5,
    }


def l2n(v):
    return v / v.norm(dim=-1, keepdim=True).clamp_min(EPS)


def gates_from(logits, k, normalize):
    """(logits (N, n)) -> (gates (N, k), indices (N, k), probabilities (N, n))."""
    probs = torch.softmax(logits, -1)
    if normalize == "topk-softmax":            # softmax over the k kept logits
        top, idx = torch.topk(logits, k, -1)
        return torch.softmax(top, -1), idx, probs
    if normalize == "all":                     # soft routing: every expert, in expert order
        idx = torch.arange(logits.shape[1]).expand(logits.shape[0], -1)
        return probs, idx, probs
    top, idx = torch.topk(probs, k, -1)        # softmax, then top-k ...
    if normalize == "softmax-topk-renormalise":
        top = top / top.sum(-1, keepdim=True)  # ... then renormalise (Mixtral)
    return top, idx, probs


# ----- routers: each maps (state, units (N, w)) -> logits (N, n); parameter names as in the plugins -----
def linear_logits(s, p, u):
    return F.linear(u, s[p + "weight"])


def nexus_experts(s, p):
    a = F.linear(s[p + "domain_embeddings"], s[p + "w1.weight"])          # (n, 2h)
    g, v = a.chunk(2, -1)                                                   # gate half, value half
    return F.linear(F.silu(g) * v, s[p + "w2.weight"])                      # (n, d)  E


def nexus_logits(s, p, u):
    return F.linear(u, nexus_experts(s, p))                                  # x E^T


def xmoe_logits(form):
    def f(s, p, u):
        h = F.linear(u, s[p + "wg_reduction.weight"])                          # (N, r)
        w = l2n(s[p + "wg"])                                                    # (n, r)
        if form == "paper":
            return F.linear(l2n(h), w) / s[p + "temperature"]                   # cos / tau
        return F.linear(h, w)                                                   # torchscale: no token norm, no tau
    return f


def make_state(gen, case):
    s = {}
    width = D // HEADS if case["heads"] else D
    kind, p = case["router"], "gate." + ("inner." if case["heads"] else "")
    if case["heads"]:
        s["gate.head_proj.weight"] = torch.randn(D, D, dtype=dt, generator=gen) * 0.4
        s["gate.head_proj.bias"] = torch.randn(D, dtype=dt, generator=gen) * 0.1
        s["gate.merge_proj.weight"] = torch.randn(D, D, dtype=dt, generator=gen) * 0.4
        s["gate.merge_proj.bias"] = torch.randn(D, dtype=dt, generator=gen) * 0.1
    if kind == "linear":
        s[p + "weight"] = torch.randn(N_EXP, width, dtype=dt, generator=gen)
    elif kind == "nexus":
        s[p + "w1.weight"] = torch.randn(2 * HYPER, M, dtype=dt, generator=gen) * 0.6
        s[p + "w2.weight"] = torch.randn(width, HYPER, dtype=dt, generator=gen) * 0.6
        s[p + "domain_embeddings"] = torch.randn(N_EXP, M, dtype=dt, generator=gen)
    else:
        s[p + "wg_reduction.weight"] = torch.randn(R, width, dtype=dt, generator=gen)
        s[p + "wg"] = torch.randn(N_EXP, R, dtype=dt, generator=gen)
        if case.get("form", "paper") == "paper":
            s[p + "temperature"] = torch.tensor([0.3], dtype=dt)
    for j in range(N_EXP):
        for name, t in expert_weights(gen, width, H).items():
            s[f"experts.{j}.{name}"] = t
    if case.get("shared"):
        for name, t in expert_weights(gen, D, SHARED).items():
            s[f"shared_expert.{name}"] = t
    return s


CASES = {
    "linear-topk-softmax": {"router": "linear", "k": 2, "normalize": "topk-softmax", "heads": 0},
    "linear-softmax-topk": {"router": "linear", "k": 2, "normalize": "softmax-topk", "heads": 0},
    "linear-softmax-topk-renormalise": {"router": "linear", "k": 2, "normalize": "softmax-topk-renormalise", "heads": 0},
    "linear-switch": {"router": "linear", "k": 1, "normalize": "softmax-topk", "heads": 0},
    "linear-soft": {"router": "linear", "k": N_EXP, "normalize": "all", "heads": 0},
    "nexus-top1": {"router": "nexus", "k": 1, "normalize": "softmax-topk", "heads": 0, "shared": True},
    "nexus-top2": {"router": "nexus", "k": 2, "normalize": "softmax-topk", "heads": 0, "shared": True},
    "xmoe-paper": {"router": "xmoe", "form": "paper", "k": 2, "normalize": "topk-softmax", "heads": 0},
    "xmoe-code": {"router": "xmoe", "form": "code", "k": 2, "normalize": "topk-softmax", "heads": 0},
    "multi-head-xmoe": {"router": "xmoe", "form": "paper", "k": 2, "normalize": "topk-softmax", "heads": HEADS},
    "multi-head-linear": {"router": "linear", "k": 2, "normalize": "topk-softmax", "heads": HEADS},
    "multi-head-nexus": {"router": "nexus", "k": 1, "normalize": "softmax-topk", "heads": HEADS},
}
LOGITS = {"linear": linear_logits, "nexus": nexus_logits}

gen = torch.Generator().manual_seed(20261130)
out = {"torch": torch.__version__,
       "dims": {"d": D, "hidden": H, "experts": N_EXP, "tokens": T, "m": M, "hyper": HYPER, "r": R, "heads": HEADS,
                "shared": SHARED, "alpha": ALPHA, "beta": BETA},
       "cases": {}}
for name, case in CASES.items():
    s = make_state(gen, case)
    x = torch.randn(T, D, dtype=dt, generator=gen)
    w_out = torch.randn(T, D, dtype=dt, generator=gen)
    for t in s.values():
        t.requires_grad_(True)
    xg = x.clone().requires_grad_(True)
    heads = case["heads"]
    p = "gate." + ("inner." if heads else "")
    units = xg
    if heads:
        units = F.linear(xg, s["gate.head_proj.weight"], s["gate.head_proj.bias"]).reshape(T * heads, D // heads)
    logit_fn = LOGITS.get(case["router"]) or xmoe_logits(case.get("form", "paper"))
    logits = logit_fn(s, p, units)
    gates, idx, probs = gates_from(logits, case["k"], case["normalize"])
    nunits, k = idx.shape
    ys = []
    for t in range(nunits):                  # the naive per-slot loop
        acc = torch.zeros(units.shape[1], dtype=dt)
        for j in range(k):
            e = int(idx[t, j])
            w = {n: s[f"experts.{e}.{n}"] for n in ["gate_proj.weight", "up_proj.weight", "down_proj.weight"]}
            acc = acc + gates[t, j] * swiglu(w, units[t:t + 1])[0]
        ys.append(acc)
    y = torch.stack(ys)
    if heads:
        y = F.linear(y.reshape(T, D), s["gate.merge_proj.weight"], s["gate.merge_proj.bias"])
    if case.get("shared"):
        y = y + swiglu({n: s[f"shared_expert.{n}"] for n in ["gate_proj.weight", "up_proj.weight", "down_proj.weight"]}, xg)
    f = torch.bincount(idx.reshape(-1), minlength=N_EXP).to(dt) / (nunits * k)
    lb = ALPHA * N_EXP * (f * probs.mean(0)).sum()
    z = BETA * (torch.logsumexp(logits, -1) ** 2).mean()
    loss = (y * w_out).sum() + lb + z
    loss.backward()
    grads = {n: t.grad.reshape(-1).tolist() for n, t in s.items() if t.grad is not None and not n.endswith("domain_embeddings")}
    out["cases"][name] = {
        "config": case,
        "state": {n: {"shape": list(t.shape), "data": t.detach().reshape(-1).tolist()} for n, t in s.items()},
        "x": x.reshape(-1).tolist(),
        "w_out": w_out.reshape(-1).tolist(),
        "output": y.detach().reshape(-1).tolist(),
        "indices": idx.reshape(-1).tolist(),
        "gates": gates.detach().reshape(-1).tolist(),
        "probabilities": probs.detach().reshape(-1).tolist(),
        "aux_loss": (lb + z).item(),
        "grad_x": xg.grad.reshape(-1).tolist(),
        "grads": grads,
    }
    print(f"{name}: indices {idx.reshape(-1).tolist()[:12]} aux {(lb + z).item():.6g}")

with open("tests/PluginMoE.Plugins.Tests/Fixtures/golden/routers.json", "w") as fh:
    json.dump(out, fh, indent=0)
