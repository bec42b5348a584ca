# Golden values for tests/PluginMoE.Core.Tests/Moe/MoeGoldenTests.cs: an MoE block (linear router, SwiGLU
# experts, shared expert) written from its formulas in PyTorch 1.13, float64, for both gate normalisations:
# topk-softmax (Mixtral: softmax over all n, top-k, renormalise) and softmax-topk (DeepSeek-MoE, no renormalise).
# Losses follow METHODS.md: alpha * n * sum_i f_i P_i (f over token slots) and beta * mean(logsumexp^2).
# Run: /usr/bin/python3 tools/golden/moe_block.py
import json
import torch

torch.manual_seed(1234)
D, H, N_EXP, K, SHARED, T = 6, 5, 4, 2, 3, 7
ALPHA, BETA = 0.01, 0.001
dt = torch.float64


def swiglu(w, x):
    return torch.nn.functional.linear(torch.nn.functional.silu(torch.nn.functional.linear(x, w["gate_proj.weight"])) * torch.nn.functional.linear(x, w["up_proj.weight"]), w["down_proj.weight"])


def expert_weights(hidden):
    return {
        "gate_proj.weight": torch.randn(hidden, D, dtype=dt) * 0.5,
        "up_proj.weight": torch.randn(hidden, D, dtype=dt) * 0.5,
        "down_proj.weight": torch.randn(D, hidden, dtype=dt) * 0.5,
    }


state = {"gate.weight": torch.randn(N_EXP, D, dtype=dt)}
experts = [expert_weights(H) for _ in range(N_EXP)]
shared = expert_weights(SHARED)
for j, e in enumerate(experts):
    for name, t in e.items():
        state[f"experts.{j}.{name}"] = t
for name, t in shared.items():
    state[f"shared_expert.{name}"] = t
x0 = torch.randn(T, D, dtype=dt)
w_out = torch.randn(T, D, dtype=dt)

cases = {}
for normalize in ["topk-softmax", "softmax-topk"]:
    for t in state.values():
        t.requires_grad_(True)
        t.grad = None
    x = x0.clone().requires_grad_(True)
    logits = torch.nn.functional.linear(x, state["gate.weight"])
    probs = torch.softmax(logits, dim=-1)
    top, idx = torch.topk(probs, K, dim=-1)
    gates = top / top.sum(-1, keepdim=True) if normalize == "topk-softmax" else top
    y = torch.zeros_like(x)
    for t in range(T):  # the naive per-token loop
        for j in range(K):
            y[t] = y[t] + gates[t, j] * swiglu(experts[idx[t, j]], x[t:t + 1])[0]
    y = y + swiglu(shared, x)
    f = torch.bincount(idx.reshape(-1), minlength=N_EXP).to(dt) / (T * K)
    lb = ALPHA * N_EXP * (f * probs.mean(0)).sum()
    z = BETA * (torch.logsumexp(logits, -1) ** 2).mean()
    loss = (y * w_out).sum() + lb + z
    loss.backward()
    cases[normalize] = {
        "output": y.detach().reshape(-1).tolist(),
        "indices": idx.reshape(-1).tolist(),
        "load_balancing": lb.item(),
        "z_loss": z.item(),
        "grad_x": x.grad.reshape(-1).tolist(),
        "grad_gate": state["gate.weight"].grad.reshape(-1).tolist(),
        "grad_expert0_down": state["experts.0.down_proj.weight"].grad.reshape(-1).tolist(),
    }

out = {
    "torch": torch.__version__,
    "dims": {"d": D, "hidden": H, "experts": N_EXP, "k": K, "shared": SHARED, "tokens": T, "alpha": ALPHA, "beta": BETA},
    "state": {name: {"shape": list(t.shape), "data": t.detach().reshape(-1).tolist()} for name, t in state.items()},
    "x": x0.reshape(-1).tolist(),
    "w_out": w_out.reshape(-1).tolist(),
    "cases": cases,
}
with open("tests/PluginMoE.Core.Tests/Fixtures/golden/moe_block.json", "w") as fh:
    json.dump(out, fh, indent=1)
print("wrote moe_block.json with", {k: v["indices"] for k, v in cases.items()})
