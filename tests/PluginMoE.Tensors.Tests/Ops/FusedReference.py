# Golden values for FusedKernel tests (RmsNorm/LayerNorm/Rotary/Attention): run with PyTorch 1.13,
#   /usr/bin/python3 tests/PluginMoE.Tensors.Tests/Ops/FusedReference.py
# and paste the printed arrays into the tests. Inputs are closed-form (Seq) so C# builds the same tensors.
import math
import torch

torch.set_printoptions(precision=10)


def seq(shape, a, b, amp=1.0):
    """Seq(shape, a, b, amp)[i] = amp * sin(a * i + b) over the row-major index i (float64)."""
    n = math.prod(shape)
    return (amp * torch.sin(a * torch.arange(n, dtype=torch.float64) + b)).reshape(shape)


def show(name, t):
    print(name, "= [" + ", ".join(f"{v:.10g}" for v in t.flatten().tolist()) + "]")


# RMSNorm (HF LlamaRMSNorm; PyTorch 1.13 has no F.rms_norm): x (2, 3, 5), weight (5)
x = seq((2, 3, 5), 0.7, 0.3, 2.0)
w = 1 + seq((5,), 0.9, 0.1, 0.5)
show("rms", x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * w)

# LayerNorm over the last two dims: x (2, 3, 4), weight/bias (3, 4)
x = seq((2, 3, 4), 0.45, -0.2, 3.0) + 0.5
w = 1 + seq((3, 4), 0.8, 0.4, 0.3)
b = seq((3, 4), 1.3, 0.7, 0.2)
show("ln_affine", torch.nn.functional.layer_norm(x, (3, 4), w, b, 1e-5))
show("ln_plain", torch.nn.functional.layer_norm(x, (4,), None, None, 1e-5))


# Rotary, HF LlamaRotaryEmbedding + apply_rotary_pos_emb (rotate_half written out): x (1, 2, 4, 6), positions 3..6
def rotate_half(t):
    h = t.shape[-1] // 2
    return torch.cat((-t[..., h:], t[..., :h]), dim=-1)


def rope(t, positions, theta=10000.0):
    d = t.shape[-1]
    inv_freq = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    freqs = torch.outer(torch.tensor(positions, dtype=torch.float64), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return t * emb.cos() + rotate_half(t) * emb.sin()


x = seq((1, 2, 4, 6), 0.31, 0.5)
show("rope_offset3", rope(x, [3, 4, 5, 6]))
show("rope_theta500k", rope(x, [0, 1, 2, 3], 500000.0))


# Attention, naive softmax(QK^T * scale + mask) V with bottom-right causal mask; GQA by repeat_interleave.
def naive(q, k, v, causal):
    g = q.shape[1] // k.shape[1]
    k = k.repeat_interleave(g, dim=1)
    v = v.repeat_interleave(g, dim=1)
    s = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    t, sk = q.shape[-2], k.shape[-2]
    if causal:
        i = torch.arange(t).unsqueeze(1)
        j = torch.arange(sk).unsqueeze(0)
        s = s.masked_fill(j > i + (sk - t), float("-inf"))
    return torch.softmax(s, -1) @ v


q = seq((1, 4, 5, 3), 0.53, 0.1, 1.5)
k = seq((1, 2, 7, 3), 0.29, 0.8, 1.5)
v = seq((1, 2, 7, 3), 0.61, -0.4)
show("attn_causal", naive(q, k, v, True))
show("attn_full", naive(q, k, v, False))
# check: for S = T (and Hq = Hkv) the naive mask equals PyTorch 1.13's own causal path
qq, kk, vv = q[:, :2], k[:, :, :5], v[:, :, :5]
ref = torch.ops.aten._scaled_dot_product_attention(qq, kk, vv, None, 0.0, False, True)[0]
print("pytorch 1.13 sdpa vs naive, S = T, max |diff|:", (ref - naive(qq, kk, vv, True)).abs().max().item())
