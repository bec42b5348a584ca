# PyTorch reference of bench/PluginMoE.Bench/Cases/RouterCases.cs (op "moe_layer"): one MoE layer forward+backward
# per router, written as a PyTorch user would (router, sort slots by expert, per-expert SwiGLU, index_add back),
# float32, the same sizes. Called by tools/bench/torch_reference.py.
import torch
import torch.nn.functional as F

INNER, DOMAIN_DIM, HEADS, R = 512, 64, 4, 16


def _swiglu_experts(n, width, inner, g):
    def w(*s):
        return (torch.randn(*s, generator=g) * 0.02).requires_grad_()
    return [(w(inner, width), w(inner, width), w(width, inner)) for _ in range(n)]


def _dispatch(x, idx, gates, experts):
    n_units, k = idx.shape
    flat = idx.reshape(-1)
    order = torch.argsort(flat, stable=True)
    token = order // k
    counts = torch.bincount(flat, minlength=len(experts)).tolist()
    xs = x.index_select(0, token)
    ys, start = [], 0
    for (wg, wu, wd), c in zip(experts, counts):
        seg = xs[start:start + c]
        ys.append(F.linear(F.silu(F.linear(seg, wg)) * F.linear(seg, wu), wd))
        start += c
    y = torch.cat(ys) * gates.reshape(-1)[order].unsqueeze(1)
    return torch.zeros_like(x).index_add(0, token, y)


def _aux(probs, idx, n, alpha=0.01):
    f = torch.bincount(idx.reshape(-1), minlength=n).to(probs.dtype) / idx.numel()
    return alpha * n * (f * probs.mean(0)).sum()


def moe_setups(case):
    tokens, d, n, k = case["shape"]
    router = case["router"]
    if router.endswith("+shared"):
        return  # linear+shared / nexus-train+shared: PluginMoE's like-for-like pair, compared with each other only
    g = torch.Generator().manual_seed(1)
    x = torch.randn(tokens, d, generator=g).requires_grad_()
    w_out = torch.randn(tokens, d, generator=g)
    width = d // HEADS if router == "multi-head-xmoe" else d
    experts = _swiglu_experts(n, width, INNER, g)
    params = [p for e in experts for p in e]
    if router in ("linear", "nexus-frozen"):
        wr = (torch.randn(n, d, generator=g) * 0.02).requires_grad_()
        params.append(wr)

        def route(u):
            logits = F.linear(u, wr)
            probs = torch.softmax(logits, -1)
            if router == "linear":
                top, idx = torch.topk(logits, k, -1)
                return torch.softmax(top, -1), idx, probs
            top, idx = torch.topk(probs, k, -1)
            return top, idx, probs
    elif router == "nexus-train":
        dom = torch.randn(n, DOMAIN_DIM, generator=g)
        w1 = (torch.randn(2 * d, DOMAIN_DIM, generator=g) / DOMAIN_DIM ** 0.5).requires_grad_()
        w2 = (torch.randn(d, d, generator=g) * 0.02).requires_grad_()
        params += [w1, w2]

        def route(u):
            a, b = F.linear(dom, w1).chunk(2, -1)
            e = F.linear(F.silu(a) * b, w2)
            probs = torch.softmax(F.linear(u, e), -1)
            top, idx = torch.topk(probs, k, -1)
            return top, idx, probs
    else:
        wh = (torch.randn(d, d, generator=g) * 0.05).requires_grad_()
        bh = torch.zeros(d).requires_grad_()
        wm = (torch.randn(d, d, generator=g) * 0.05).requires_grad_()
        bm = torch.zeros(d).requires_grad_()
        wred = (torch.randn(R, width, generator=g) * 0.1).requires_grad_()
        wg = (torch.randn(n, R, generator=g) * 0.1).requires_grad_()
        tau = torch.tensor([0.3]).requires_grad_()
        params += [wh, bh, wm, bm, wred, wg, tau]

        def route(u):
            h = F.normalize(F.linear(u, wred), dim=-1, eps=1e-4)
            logits = F.linear(h, F.normalize(wg, dim=-1, eps=1e-4)) / tau
            probs = torch.softmax(logits, -1)
            top, idx = torch.topk(logits, k, -1)
            return torch.softmax(top, -1), idx, probs

    def step():
        for p in params:
            p.grad = None
        x.grad = None
        if router == "multi-head-xmoe":
            u = F.linear(x, wh, bh).reshape(tokens * HEADS, width)
        else:
            u = x
        gates, idx, probs = route(u)
        y = _dispatch(u, idx, gates, experts)
        if router == "multi-head-xmoe":
            y = F.linear(y.reshape(tokens, d), wm, bm)
        ((y * w_out).sum() + _aux(probs, idx, n)).backward()

    yield "torch", step
