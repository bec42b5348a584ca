#!/usr/bin/python3
# PyTorch reference timings for bench/PluginMoE.Bench: reads the harness's case lines (JSON) on stdin and
# prints one JSON line per case and implementation ("impl": "torch" = torch.matmul/ops as shipped; for float32
# GEMMs also "onednn" = torch's oneDNN linear, timed on pre-converted operands). Run with /usr/bin/python3.
import argparse
import json
import math
import statistics
import sys
import time

import torch


def median_ms(fn, quick):
    warmup_s, budget_s, min_reps = (0.1, 0.3, 3) if quick else (0.5, 1.5, 7)
    t = time.perf_counter()
    while True:
        fn()
        if time.perf_counter() - t >= warmup_s:
            break
    times = []
    cpu0 = time.process_time()
    start = time.perf_counter()
    while len(times) < min_reps or (time.perf_counter() - start < budget_s and len(times) < 1000):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), (time.process_time() - cpu0) * 1e3 / len(times), min(times)


def gemm_setups(case):
    """Yields (impl, fn) for a gemm/bmm case."""
    dtype = torch.float32 if case.get("dtype", "float32") == "float32" else torch.float64
    layout = case.get("layout", "nn")
    g = torch.Generator().manual_seed(1)
    if case["op"] == "bmm":
        b_, m, k, n = case["shape"]
        a = torch.randn(b_, m, k, dtype=dtype, generator=g)
        b = torch.randn(b_, k, n, dtype=dtype, generator=g)
        yield "torch", lambda: torch.matmul(a, b)
        return
    m, k, n = case["shape"]
    a = torch.randn(k, m, dtype=dtype, generator=g).t() if layout == "tn" else torch.randn(m, k, dtype=dtype, generator=g)
    b = torch.randn(n, k, dtype=dtype, generator=g).t() if layout == "nt" else torch.randn(k, n, dtype=dtype, generator=g)
    yield "torch", lambda: torch.matmul(a, b)
    if dtype == torch.float32 and torch.backends.mkldnn.is_available():
        am = a.contiguous().to_mkldnn()
        wm = b.t().contiguous().to_mkldnn()
        yield "onednn", lambda: torch._C._nn.mkldnn_linear(am, wm, None)


def grouped_gemm_setups(case):
    """The per-expert loop a PyTorch 1.13 user writes (as HF Mixtral): F.linear on each expert's rows."""
    rows, k, n, experts = case["shape"]
    counts = [int(c) for c in case["counts"].split(",")]
    g = torch.Generator().manual_seed(1)
    x = torch.randn(rows, k, generator=g)
    w = [torch.randn(n, k, generator=g) for _ in range(experts)]

    def loop():
        start = 0
        for e in range(experts):
            if counts[e]:
                torch.nn.functional.linear(x[start:start + counts[e]], w[e])
            start += counts[e]
    yield "torch", loop


def elementwise_setups(case):
    g = torch.Generator().manual_seed(1)
    shape = case["shape"]
    if case["op"] == "add":
        a, b = torch.randn(*shape, generator=g), torch.randn(*shape, generator=g)
        yield "torch", lambda: a + b
    elif case["op"] == "add_broadcast":
        a, b = torch.randn(*shape, generator=g), torch.randn(shape[-1], generator=g)
        yield "torch", lambda: a + b
    elif case["op"] == "sum":
        a = torch.randn(*shape, generator=g)
        yield "torch", lambda: a.sum()


def transformer_setups(case):
    """Fused-kernel cases; PyTorch 1.13 has no fused RMSNorm or scaled_dot_product_attention, so those
    references are the composite formulas a PyTorch user would write."""
    import math
    import torch.nn.functional as F
    g = torch.Generator().manual_seed(1)
    shape = case["shape"]
    op = case["op"]
    bwd = case.get("pass") == "fwd+bwd"
    if op == "softmax":
        x = torch.randn(*shape, generator=g)
        yield "torch", lambda: torch.softmax(x, -1)
    elif op == "silu":
        x = torch.randn(*shape, generator=g)
        yield "torch", lambda: F.silu(x)
    elif op == "rms_norm":
        x, w = torch.randn(*shape, generator=g), torch.randn(shape[-1], generator=g)
        yield "torch", lambda: x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * w
    elif op == "cross_entropy":
        x = torch.randn(*shape, generator=g).requires_grad_()
        t = torch.randint(0, shape[1], (shape[0],), generator=g)

        def ce():
            x.grad = None
            F.cross_entropy(x, t).backward()
        yield "torch", ce
    elif op == "attention_causal":
        b, h, t, d = shape
        q, k, v = (torch.randn(b, h, t, d, generator=g).requires_grad_(bwd) for _ in range(3))
        mask = torch.ones(t, t, dtype=torch.bool).tril()

        def attn():
            s = (q @ k.transpose(-1, -2)) / math.sqrt(d)
            return torch.softmax(s.masked_fill(~mask, float("-inf")), -1) @ v
        if bwd:
            def attn_bwd():
                q.grad = k.grad = v.grad = None
                attn().sum().backward()
            yield "torch", attn_bwd
        else:
            yield "torch", attn


class MoeLM(torch.nn.Module):
    """The bench's MoE LM in PyTorch: byte vocabulary, RMSNorm, RoPE attention, a linear top-2 router over SwiGLU
    experts run one by one over their tokens (as Hugging Face Mixtral does), load-balancing loss, untied head."""

    def __init__(self, d, layers, heads, experts, max_t):
        super().__init__()
        nn = torch.nn
        self.heads, self.experts, self.d = heads, experts, d
        self.embed = nn.Embedding(256, d)
        self.blocks = nn.ModuleList()
        for _ in range(layers):
            b = nn.Module()
            b.n1, b.n2 = nn.Parameter(torch.ones(d)), nn.Parameter(torch.ones(d))
            b.qkv, b.o = nn.Linear(d, 3 * d, bias=False), nn.Linear(d, d, bias=False)
            b.router = nn.Linear(d, experts, bias=False)
            b.gate = nn.ModuleList(nn.Linear(d, 4 * d, bias=False) for _ in range(experts))
            b.up = nn.ModuleList(nn.Linear(d, 4 * d, bias=False) for _ in range(experts))
            b.down = nn.ModuleList(nn.Linear(4 * d, d, bias=False) for _ in range(experts))
            self.blocks.append(b)
        self.norm = nn.Parameter(torch.ones(d))
        self.head = nn.Linear(d, 256, bias=False)
        hd = d // heads
        inv = 1.0 / (10000.0 ** (torch.arange(0, hd, 2).float() / hd))
        ang = torch.outer(torch.arange(max_t).float(), inv)
        self.register_buffer("cos", torch.cat([ang.cos(), ang.cos()], -1))
        self.register_buffer("sin", torch.cat([ang.sin(), ang.sin()], -1))

    @staticmethod
    def rms(x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * w

    def rope(self, x, start):
        t = x.shape[-2]
        cos, sin = self.cos[start:start + t], self.sin[start:start + t]
        h = x.shape[-1] // 2
        rot = torch.cat([-x[..., h:], x[..., :h]], -1)
        return x * cos + rot * sin

    @staticmethod
    def attend(q, k, v):
        """Causal softmax attention (PyTorch 1.13 has no scaled_dot_product_attention); queries are the last positions."""
        t, s = q.shape[-2], k.shape[-2]
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
        if t > 1:
            mask = torch.ones(t, s, dtype=torch.bool).triu(s - t + 1)
            scores = scores.masked_fill(mask, float("-inf"))
        return scores.softmax(-1) @ v

    def forward(self, ids, cache=None):
        b_, t = ids.shape
        start = 0 if cache is None else cache["len"]
        x = self.embed(ids)
        aux = x.new_zeros(())
        for i, blk in enumerate(self.blocks):
            h = self.rms(x, blk.n1)
            q, k, v = blk.qkv(h).view(b_, t, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
            q, k = self.rope(q, start), self.rope(k, start)
            if cache is not None:
                if i in cache:
                    k = torch.cat([cache[i][0], k], 2)
                    v = torch.cat([cache[i][1], v], 2)
                cache[i] = (k, v)
            a = self.attend(q, k, v)
            x = x + blk.o(a.transpose(1, 2).reshape(b_, t, self.d))
            h = self.rms(x, blk.n2).reshape(-1, self.d)
            probs = blk.router(h).softmax(-1)
            w, sel = probs.topk(2, -1)
            w = w / w.sum(-1, keepdim=True)
            out = torch.zeros_like(h)
            for e in range(self.experts):
                rows, slot = torch.where(sel == e)
                if rows.numel() == 0:
                    continue
                xe = h[rows]
                ye = blk.down[e](torch.nn.functional.silu(blk.gate[e](xe)) * blk.up[e](xe))
                out.index_add_(0, rows, ye * w[rows, slot, None])
            frac = torch.nn.functional.one_hot(sel, self.experts).float().sum(1).mean(0)
            aux = aux + self.experts * (frac * probs.mean(0)).sum() * 0.01
            x = x + out.view(b_, t, self.d)
        if cache is not None:
            cache["len"] = start + t
        return self.head(self.rms(x, self.norm)), aux


def model_setups(case):
    """Yields (impl, fn) for the lm_train_step / lm_prefill / lm_decode cases of the tiny and small models."""
    sizes = {"tiny": (128, 2, 4, 4, 128, 8), "small": (256, 4, 8, 8, 256, 8)}
    if case.get("model") not in sizes:
        return
    d, layers, heads, experts, t, b_ = sizes[case["model"]]
    torch.manual_seed(1)
    model = MoeLM(d, layers, heads, experts, t)
    data = torch.randint(0, 256, (b_, t + 1))
    x, y = data[:, :t], data[:, 1:].reshape(-1)
    if case["op"] == "lm_train_step":
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)

        def step():
            opt.zero_grad(set_to_none=True)
            logits, aux = model(x)
            (torch.nn.functional.cross_entropy(logits.reshape(-1, 256), y) + aux).backward()
            opt.step()
        yield "torch", step
    elif case["op"] == "lm_prefill":
        model.eval()

        def prefill():
            with torch.no_grad():
                model(x)
        yield "torch", prefill
    elif case["op"] == "lm_decode":
        model.eval()
        prompt, steps = 32, case["shape"][1] - 32

        def decode():
            with torch.no_grad():
                cache = {"len": 0}
                model(x[:1, :prompt], cache)
                for i in range(steps):
                    model(x[:1, prompt + i:prompt + i + 1], cache)
        yield "torch", decode


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        case = json.loads(line)
        unit = case.pop("unit")
        given_work = case.pop("work", None)
        if case["op"] in ("gemm", "bmm"):
            setups = gemm_setups(case)
        elif case["op"] in ("add", "add_broadcast", "sum"):
            setups = elementwise_setups(case)
        elif case["op"] == "grouped_gemm":
            setups = grouped_gemm_setups(case)
        elif case["op"] in ("moe_layer", "moe_experts"):
            from moe_reference import moe_setups  # one MoE layer per router (bench Cases/RouterCases.cs)
            setups = moe_setups(case)
        elif case["op"] in ("lm_train_step", "lm_prefill", "lm_decode"):
            setups = model_setups(case)
        else:
            setups = transformer_setups(case)
        for impl, fn in setups:
            ms, cpu_ms, min_ms = median_ms(fn, args.quick)
            work = 1
            for s in case["shape"]:
                work *= s
            if given_work is not None:  # the harness's own work count (flops or elements of one run)
                work = given_work / 2.0 if unit == "gflops" else given_work
            out = dict(case)
            out["impl"] = impl
            out["threads"] = args.threads
            if unit == "gflops":
                out["gflops"] = round(2.0 * work / ms / 1e6, 4)
                out["gflops_best"] = round(2.0 * work / min_ms / 1e6, 4)
            else:
                out["elems_per_s"] = round(work / ms * 1e3, 1)
                out["elems_per_s_best"] = round(work / min_ms * 1e3, 1)
            out["ms"] = round(ms, 4)
            out["cpu_ms"] = round(cpu_ms, 4)
            out["min_ms"] = round(min_ms, 4)
            print(json.dumps(out, separators=(",", ":")), flush=True)


if __name__ == "__main__":
    main()
