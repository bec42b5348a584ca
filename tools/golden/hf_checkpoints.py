#!/usr/bin/python3
"""Writes small golden checkpoints in Hugging Face layouts, with reference logits, for
tests/PluginMoE.Core.Tests/Checkpoints.

Run with the Debian Python that has PyTorch (1.13):  /usr/bin/python3 tools/golden/hf_checkpoints.py
Neither `transformers` nor `safetensors` is used: the reference models below are written from the
formulas of HF's LlamaForCausalLM, MixtralForCausalLM and DeepSeek-MoE (DeepseekForCausalLM), and the
safetensors files are written from the format's spec. Output, under tests/PluginMoE.Core.Tests/Fixtures/hf/:
  {llama,mixtral,deepseek}/config.json        a config as HF tools write it (with keys PluginMoE ignores,
                                              and no "pluginmoe" section, so no checksum)
  {llama,mixtral,deepseek}/model.safetensors  the weights under the layout's tensor names (float32)
  {llama,mixtral,deepseek}.reference.safetensors  "input_ids" (B, T) int64 and "logits" (B, T, V) float32
"""
import json
import math
import os
import struct

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "PluginMoE.Core.Tests", "Fixtures", "hf")
DTYPE = {torch.float32: "F32", torch.int64: "I64"}


def save_safetensors(path, tensors):
    """8-byte little-endian header length, space-padded JSON header, then row-major little-endian data."""
    names = sorted(tensors)
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for n in names:
        t = tensors[n].contiguous()
        data = t.numpy().tobytes()
        header[n] = {"dtype": DTYPE[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


# ----------------------------------------------------------------------------- reference model (HF math)

def rms_norm(x, w, eps):
    # LlamaRMSNorm: statistics in float32, then the weight.
    xf = x.float()
    xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
    return w * xf.to(x.dtype)


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rope(T, hd, theta):
    inv_freq = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))  # theta^(-2i/d)
    freqs = torch.outer(torch.arange(T, dtype=torch.int64).float(), inv_freq)            # (T, hd/2)
    emb = torch.cat((freqs, freqs), dim=-1)                                               # (T, hd)
    return emb.cos(), emb.sin()


def attention(x, p, l, cfg):
    B, T, d = x.shape
    H, KV = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = d // H
    q = (x @ p[l + "self_attn.q_proj.weight"].T).view(B, T, H, hd).transpose(1, 2)   # (B, H, T, hd)
    k = (x @ p[l + "self_attn.k_proj.weight"].T).view(B, T, KV, hd).transpose(1, 2)  # (B, KV, T, hd)
    v = (x @ p[l + "self_attn.v_proj.weight"].T).view(B, T, KV, hd).transpose(1, 2)
    cos, sin = rope(T, hd, cfg["rope_theta"])
    q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
    # repeat_kv: key/value head j serves query heads j*n_rep .. (j+1)*n_rep-1.
    n_rep = H // KV
    k = k[:, :, None].expand(B, KV, n_rep, T, hd).reshape(B, H, T, hd)
    v = v[:, :, None].expand(B, KV, n_rep, T, hd).reshape(B, H, T, hd)
    scores = q @ k.transpose(2, 3) / math.sqrt(hd)                                     # (B, H, T, T)
    mask = torch.full((T, T), torch.finfo(torch.float32).min).triu(1)
    att = F.softmax(scores + mask, dim=-1, dtype=torch.float32).to(q.dtype)
    y = (att @ v).transpose(1, 2).reshape(B, T, d)
    return y @ p[l + "self_attn.o_proj.weight"].T


def swiglu(x, gate, up, down):
    return (F.silu(x @ gate.T) * (x @ up.T)) @ down.T


def mixtral_moe(x, p, l, cfg):
    # MixtralSparseMoeBlock: softmax over all experts in float, top-k, renormalise, weighted sum.
    B, T, d = x.shape
    h = x.reshape(-1, d)
    logits = h @ p[l + "block_sparse_moe.gate.weight"].T                                # (N, E)
    w = F.softmax(logits, dim=1, dtype=torch.float)
    w, sel = torch.topk(w, cfg["num_experts_per_tok"], dim=-1)
    w = (w / w.sum(dim=-1, keepdim=True)).to(h.dtype)
    out = torch.zeros_like(h)
    for j in range(cfg["num_local_experts"]):
        e = l + f"block_sparse_moe.experts.{j}."
        y = swiglu(h, p[e + "w1.weight"], p[e + "w3.weight"], p[e + "w2.weight"])
        out += ((sel == j).to(h.dtype) * w).sum(-1, keepdim=True) * y
    return out.view(B, T, d)


def deepseek_moe(x, p, l, cfg):
    # DeepseekMoE: softmax scores, top-k (renormalised only if norm_topk_prob), plus the shared experts.
    B, T, d = x.shape
    h = x.reshape(-1, d)
    scores = F.softmax(h @ p[l + "mlp.gate.weight"].T, dim=-1)
    w, sel = torch.topk(scores, cfg["num_experts_per_tok"], dim=-1)
    if cfg["norm_topk_prob"]:
        w = w / w.sum(dim=-1, keepdim=True)
    out = torch.zeros_like(h)
    for j in range(cfg["n_routed_experts"]):
        e = l + f"mlp.experts.{j}."
        y = swiglu(h, p[e + "gate_proj.weight"], p[e + "up_proj.weight"], p[e + "down_proj.weight"])
        out += ((sel == j).to(h.dtype) * w).sum(-1, keepdim=True) * y
    s = l + "mlp.shared_experts."
    out += swiglu(h, p[s + "gate_proj.weight"], p[s + "up_proj.weight"], p[s + "down_proj.weight"])
    return out.view(B, T, d)


def forward(p, cfg, ids):
    x = p["model.embed_tokens.weight"][ids]                                             # (B, T, d)
    eps = cfg["rms_norm_eps"]
    for i in range(cfg["num_hidden_layers"]):
        l = f"model.layers.{i}."
        x = x + attention(rms_norm(x, p[l + "input_layernorm.weight"], eps), p, l, cfg)
        h = rms_norm(x, p[l + "post_attention_layernorm.weight"], eps)
        if cfg["model_type"] == "mixtral":
            x = x + mixtral_moe(h, p, l, cfg)
        elif cfg["model_type"] == "deepseek" and i >= cfg["first_k_dense_replace"] and i % cfg["moe_layer_freq"] == 0:
            x = x + deepseek_moe(h, p, l, cfg)
        else:
            m = l + "mlp."
            x = x + swiglu(h, p[m + "gate_proj.weight"], p[m + "up_proj.weight"], p[m + "down_proj.weight"])
    x = rms_norm(x, p["model.norm.weight"], eps)
    head = p["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else p["lm_head.weight"]
    return x @ head.T                                                                   # (B, T, V)


# ----------------------------------------------------------------------------- random weights

def weights(cfg, g):
    d, V = cfg["hidden_size"], cfg["vocab_size"]
    H, KV = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = d // H

    def lin(o, i):  # scaled so activations stay O(1) and routing margins are wide
        return torch.randn(o, i, generator=g) / math.sqrt(i)

    def norm():
        return 1.0 + 0.1 * torch.randn(d, generator=g)

    def ffn(prefix, inner, names=("gate_proj", "up_proj", "down_proj")):
        p[prefix + names[0] + ".weight"] = lin(inner, d)
        p[prefix + names[1] + ".weight"] = lin(inner, d)
        p[prefix + names[2] + ".weight"] = lin(d, inner)

    p = {"model.embed_tokens.weight": torch.randn(V, d, generator=g)}
    for i in range(cfg["num_hidden_layers"]):
        l = f"model.layers.{i}."
        p[l + "input_layernorm.weight"] = norm()
        p[l + "self_attn.q_proj.weight"] = lin(H * hd, d)
        p[l + "self_attn.k_proj.weight"] = lin(KV * hd, d)
        p[l + "self_attn.v_proj.weight"] = lin(KV * hd, d)
        p[l + "self_attn.o_proj.weight"] = lin(d, H * hd)
        p[l + "post_attention_layernorm.weight"] = norm()
        if cfg["model_type"] == "mixtral":
            p[l + "block_sparse_moe.gate.weight"] = 2.0 * lin(cfg["num_local_experts"], d)
            for j in range(cfg["num_local_experts"]):
                ffn(l + f"block_sparse_moe.experts.{j}.", cfg["intermediate_size"], ("w1", "w3", "w2"))
        elif cfg["model_type"] == "deepseek" and i >= cfg["first_k_dense_replace"] and i % cfg["moe_layer_freq"] == 0:
            w = cfg["moe_intermediate_size"]
            p[l + "mlp.gate.weight"] = 2.0 * lin(cfg["n_routed_experts"], d)
            for j in range(cfg["n_routed_experts"]):
                ffn(l + f"mlp.experts.{j}.", w)
            ffn(l + "mlp.shared_experts.", w * cfg["n_shared_experts"])
        else:
            ffn(l + "mlp.", cfg["intermediate_size"])
    p["model.norm.weight"] = norm()
    if not cfg["tie_word_embeddings"]:
        p["lm_head.weight"] = lin(V, d)
    return p


BASE = {
    "vocab_size": 256, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
    "num_key_value_heads": 2, "max_position_embeddings": 64, "hidden_act": "silu",
    "tie_word_embeddings": False, "torch_dtype": "float32",
    # Keys PluginMoE does not use; HF tools write them, and loading must ignore them.
    "bos_token_id": 1, "eos_token_id": 2, "initializer_range": 0.02, "use_cache": True,
    "transformers_version": "4.44.0",
}
CONFIGS = {
    "llama": dict(BASE, architectures=["LlamaForCausalLM"], model_type="llama", intermediate_size=64,
                  rms_norm_eps=1e-6, rope_theta=10000.0, attention_bias=False, mlp_bias=False,
                  pretraining_tp=1, rope_scaling=None),
    "mixtral": dict(BASE, architectures=["MixtralForCausalLM"], model_type="mixtral", intermediate_size=48,
                    rms_norm_eps=1e-5, rope_theta=1e6, num_local_experts=4, num_experts_per_tok=2,
                    router_aux_loss_coef=0.02, output_router_logits=False, router_jitter_noise=0.0,
                    sliding_window=None, attention_dropout=0.0),
    "deepseek": dict(BASE, architectures=["DeepseekForCausalLM"], model_type="deepseek", intermediate_size=48,
                     moe_intermediate_size=48, rms_norm_eps=1e-6, rope_theta=10000.0, n_routed_experts=4,
                     n_shared_experts=1, num_experts_per_tok=2, norm_topk_prob=False, scoring_func="softmax",
                     first_k_dense_replace=1, moe_layer_freq=1, aux_loss_alpha=0.001, seq_aux=True),
}


def main():
    for seed, (name, cfg) in enumerate(CONFIGS.items()):
        g = torch.Generator().manual_seed(1000 + seed)
        p = weights(cfg, g)
        ids = torch.randint(0, cfg["vocab_size"], (2, 8), generator=g)
        with torch.no_grad():
            logits = forward(p, cfg, ids)
        folder = os.path.join(OUT, name)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
            f.write("\n")
        save_safetensors(os.path.join(folder, "model.safetensors"), p)
        save_safetensors(os.path.join(OUT, name + ".reference.safetensors"), {"input_ids": ids, "logits": logits.contiguous()})
        print(f"{name}: {len(p)} tensors, logits {tuple(logits.shape)}, |logits| max {logits.abs().max():.3f}")


if __name__ == "__main__":
    main()
