#!/usr/bin/python3
# PyTorch reference timings for bench/PluginMoE.Bench: reads the harness's case lines (JSON) on stdin and
# prints one JSON line per case and implementation ("impl": "torch" = torch.matmul/ops as shipped; for float32
# GEMMs also "onednn" = torch's oneDNN linear, timed on pre-converted operands). Run with /usr/bin/python3.
import argparse
import json
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
        elif case["op"] == "moe_layer":
            from moe_reference import moe_setups  # one MoE layer per router (bench Cases/RouterCases.cs)
            setups = moe_setups(case)
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
