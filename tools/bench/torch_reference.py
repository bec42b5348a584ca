#!/usr/bin/python3
# PyTorch reference timings for bench/PluginMoE.Bench: reads the harness's case lines (JSON) on stdin and
# prints one JSON line per case and implementation ("impl": "torch" = torch.matmul/ops as shipped; for float32
# GEMMs also "onednn" = torch's oneDNN linear, timed on pre-converted operands). Run with /usr/bin/python3.
# With --e2e (the suite's workers) it instead builds one end-to-end model (--model tiny|small, --router linear|nexus|
# multi-head), times training steps, prefill and KV-cache decode, and prints one JSON result line.
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


SIZES = {"tiny": (128, 2, 4, 4, 128, 8), "small": (256, 4, 8, 8, 256, 8)}  # d, layers, heads, experts, T, B
TOP_K, MH_HEADS, XMOE_DIM, DOMAIN_DIM = 2, 4, 16, 256
PROMPT, DECODE = 32, 32


class MoeLM(torch.nn.Module):
    """The bench's MoE LM in PyTorch: byte vocabulary, RMSNorm, RoPE attention, a top-2 router over SwiGLU experts of
    inner 4d run one by one over their tokens (as Hugging Face Mixtral does), load-balancing loss, untied head.
    Routers, as PluginMoE computes them (bench/PluginMoE.Bench/E2E/E2eConfig.cs):
    - linear: softmax over all logits, top-2, renormalised (the same numbers as softmax over the kept logits);
    - nexus: E = W2 (silu(a) * b), (a, b) = W1 d_i from fixed (n, 256) domain embeddings, recomputed at every training
      forward (frozen once for inference); probs = softmax(x E^T), gates = the top-2 probabilities, not renormalised;
      plus an always-on shared SwiGLU expert of inner 4d;
    - multi-head: x' = W_head x + b split into 4 sub-tokens of width d/4, routed by X-MoE (paper form: cosine of the
      L2-normalised W_red u (r = 16) and the normalised expert embeddings over a learned temperature, gates = softmax of
      the top-2 scores) to experts of width d/4 and inner 4d, merged back and projected by W_merge (with bias)."""

    def __init__(self, d, layers, heads, experts, max_t, router="linear"):
        super().__init__()
        nn = torch.nn
        self.heads, self.experts, self.d, self.router_kind = heads, experts, d, router
        width = d // MH_HEADS if router == "multi-head" else d
        self.width = width
        self.embed = nn.Embedding(256, d)
        self.blocks = nn.ModuleList()
        for _ in range(layers):
            b = nn.Module()
            b.n1, b.n2 = nn.Parameter(torch.ones(d)), nn.Parameter(torch.ones(d))
            b.qkv, b.o = nn.Linear(d, 3 * d, bias=False), nn.Linear(d, d, bias=False)
            if router == "linear":
                b.router = nn.Linear(d, experts, bias=False)
            elif router == "nexus":
                b.register_buffer("domains", torch.randn(experts, DOMAIN_DIM))
                b.w1, b.w2 = nn.Linear(DOMAIN_DIM, 2 * d, bias=False), nn.Linear(d, d, bias=False)
                b.s_gate, b.s_up, b.s_down = nn.Linear(d, 4 * d, bias=False), nn.Linear(d, 4 * d, bias=False), nn.Linear(4 * d, d, bias=False)
                b.frozen_e = None
            else:
                b.head_proj, b.merge_proj = nn.Linear(d, d), nn.Linear(d, d)
                b.wred = nn.Linear(width, XMOE_DIM, bias=False)
                b.wg = nn.Parameter(torch.randn(experts, XMOE_DIM) * 0.1)
                b.tau = nn.Parameter(torch.full((1,), 0.3))
            b.gate = nn.ModuleList(nn.Linear(width, 4 * d, bias=False) for _ in range(experts))
            b.up = nn.ModuleList(nn.Linear(width, 4 * d, bias=False) for _ in range(experts))
            b.down = nn.ModuleList(nn.Linear(4 * d, width, bias=False) for _ in range(experts))
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
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * w

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

    def freeze(self):
        """The inference form: Nexus's E computed once (a plain linear router from then on)."""
        self.eval()
        if self.router_kind == "nexus":
            with torch.no_grad():
                for blk in self.blocks:
                    blk.frozen_e = self.expert_embeddings(blk)

    def expert_embeddings(self, blk):
        a, b = blk.w1(blk.domains).chunk(2, -1)
        return blk.w2(torch.nn.functional.silu(a) * b)

    def route(self, blk, u):
        """(gates (N, k), chosen experts (N, k), probabilities (N, n)) of the units u."""
        F = torch.nn.functional
        if self.router_kind == "linear":
            probs = blk.router(u).softmax(-1)
            w, sel = probs.topk(TOP_K, -1)
            return w / w.sum(-1, keepdim=True), sel, probs
        if self.router_kind == "nexus":
            e = blk.frozen_e if (blk.frozen_e is not None and not self.training) else self.expert_embeddings(blk)
            probs = F.linear(u, e).softmax(-1)
            w, sel = probs.topk(TOP_K, -1)
            return w, sel, probs
        logits = F.linear(F.normalize(blk.wred(u), dim=-1, eps=1e-4), F.normalize(blk.wg, dim=-1, eps=1e-4)) / blk.tau
        top, sel = logits.topk(TOP_K, -1)
        return top.softmax(-1), sel, logits.softmax(-1)

    def moe(self, blk, h):
        F = torch.nn.functional
        u = blk.head_proj(h).reshape(-1, self.width) if self.router_kind == "multi-head" else h
        w, sel, probs = self.route(blk, u)
        out = torch.zeros_like(u)
        for e in range(self.experts):
            rows, slot = torch.where(sel == e)
            if rows.numel() == 0:
                continue
            xe = u[rows]
            ye = blk.down[e](F.silu(blk.gate[e](xe)) * blk.up[e](xe))
            out.index_add_(0, rows, ye * w[rows, slot, None])
        frac = F.one_hot(sel, self.experts).float().sum(1).mean(0) / TOP_K
        aux = self.experts * (frac * probs.mean(0)).sum() * 0.01
        if self.router_kind == "multi-head":
            out = blk.merge_proj(out.reshape(-1, self.d))
        if self.router_kind == "nexus":
            out = out + blk.s_down(F.silu(blk.s_gate(h)) * blk.s_up(h))
        return out, aux

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
            out, a_loss = self.moe(blk, self.rms(x, blk.n2).reshape(-1, self.d))
            aux = aux + a_loss
            x = x + out.view(b_, t, self.d)
        if cache is not None:
            cache["len"] = start + t
        return self.head(self.rms(x, self.norm)), aux


def adamw_train_step(model, x, y):
    """The training step both paths time (the end-to-end suite and the per-case lm_train_step): zero_grad (set to None),
    forward, cross-entropy over the byte vocabulary plus the MoE auxiliary loss, backward, AdamW (lr 1e-3) step."""
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        logits, aux = model(x)
        (torch.nn.functional.cross_entropy(logits.reshape(-1, 256), y) + aux).backward()
        opt.step()
    return step


def lm_calls(model_name, router):
    """(train_step, enter_inference, prefill, decode) closures of one suite model, and its (tokens per step, decode tokens)."""
    d, layers, heads, experts, t, b_ = SIZES[model_name]
    torch.manual_seed(1)
    model = MoeLM(d, layers, heads, experts, t, router)
    data = torch.randint(0, 256, (b_, t + 1))
    x, y = data[:, :t], data[:, 1:].reshape(-1)
    step = adamw_train_step(model, x, y)

    def prefill():
        with torch.no_grad():
            model(x)

    def decode():
        with torch.no_grad():
            cache = {"len": 0}
            model(x[:1, :PROMPT], cache)
            for i in range(DECODE):
                model(x[:1, PROMPT + i:PROMPT + i + 1], cache)
    return step, model.freeze, prefill, decode, b_ * t


def process_age_ms():
    """Milliseconds since this process started (Linux: /proc/self/stat start time against /proc/uptime); None elsewhere."""
    try:
        import os
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime_s = float(f.read().split()[0])
        return (uptime_s - start_ticks / os.sysconf("SC_CLK_TCK")) * 1e3
    except (OSError, ValueError, IndexError):
        return None


def e2e_main(argv):
    """One end-to-end measurement of the suite (bench/PluginMoE.Bench/E2E/Suite.cs): one JSON result line. Each phase
    (training steps, prefills, decode calls) follows the suite's rule (E2E/PhaseRule.cs, passed on the command line):
    warm-up until >= --warmup calls and >= --warmup-s seconds (or >= --cap-s CPU seconds of this process and
    >= --cap-calls calls), then timed calls until >= --steps calls and >= --timed-s seconds. The first training step and
    the first 10 are reported on their own (the cold cost), with the time from process start to the built model."""
    import resource
    ap = argparse.ArgumentParser()
    ap.add_argument("--e2e", action="store_true")
    ap.add_argument("--model", default="tiny")
    ap.add_argument("--router", default="linear")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--warmup-s", type=float, default=2.0)
    ap.add_argument("--cap-s", type=float, default=10.0)
    ap.add_argument("--cap-calls", type=int, default=5)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--timed-s", type=float, default=2.0)
    ap.add_argument("--trace", action="store_true")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    step, freeze, prefill, decode, tokens = lm_calls(a.model, a.router)
    init_ms = process_age_ms()

    def calls(phase, part, fn, done):
        out, total, total_cpu = [], 0.0, 0.0
        while not done(len(out), total / 1e3, total_cpu / 1e3):
            c0, t0 = time.process_time(), time.perf_counter()
            fn()
            wall, cpu = (time.perf_counter() - t0) * 1e3, (time.process_time() - c0) * 1e3
            out.append((wall, cpu))
            total += wall
            total_cpu += cpu
            if a.trace:
                print(json.dumps({"e2e": "call", "phase": phase, "part": part, "i": len(out) - 1, "wall_ms": round(wall, 2),
                                  "cpu_ms": round(cpu, 2)}), file=sys.stderr, flush=True)
        return out

    def run_phase(phase, fn):
        warm = calls(phase, "warmup", fn, lambda n, s, cpu: (n >= a.warmup and s >= a.warmup_s) or (n >= a.cap_calls and cpu >= a.cap_s))
        timed = calls(phase, "timed", fn, lambda n, s, cpu: n >= a.steps and s >= a.timed_s)
        return warm, timed

    train_warm, train = run_phase("train", step)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # KiB on Linux: the training peak
    freeze()
    _, pre = run_phase("prefill", prefill)
    _, dec = run_phase("decode", decode)
    first = train_warm + train

    def med(xs):
        return statistics.median([w for w, _ in xs])
    out = {"e2e": "result", "framework": "pytorch", "model": a.model, "router": a.router, "threads": a.threads,
           "train_tok_s": tokens / (med(train) / 1e3), "prefill_tok_s": tokens / (med(pre) / 1e3),
           "decode_tok_s": DECODE / (med(dec) / 1e3), "train_cpu_ms": statistics.mean([c for _, c in train]), "peak_rss_mb": peak_mb,
           "first_step_ms": first[0][0], "warmup_steps": len(train_warm)}
    if init_ms is not None:
        out["init_ms"] = init_ms
    if len(first) >= 10:
        out["first10_ms"] = statistics.mean([w for w, _ in first[:10]])
        out["first10_cpu_ms"] = statistics.mean([c for _, c in first[:10]])
    print(json.dumps(out, separators=(",", ":")), flush=True)


def model_setups(case):
    """Yields (impl, fn) for the lm_train_step / lm_prefill / lm_decode cases of the tiny and small models."""
    if case.get("model") not in SIZES:
        return
    d, layers, heads, experts, t, b_ = SIZES[case["model"]]
    torch.manual_seed(1)
    model = MoeLM(d, layers, heads, experts, t)
    data = torch.randint(0, 256, (b_, t + 1))
    x, y = data[:, :t], data[:, 1:].reshape(-1)
    if case["op"] == "lm_train_step":
        yield "torch", adamw_train_step(model, x, y)
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
    if "--e2e" in sys.argv[1:]:
        e2e_main(sys.argv[1:])
        return
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
