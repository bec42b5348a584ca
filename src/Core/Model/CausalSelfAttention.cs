// Llama attention: q/k/v projections, rotary position embedding (rotate-half) on q and k, causal fused
// attention with grouped-query heads, output projection. No biases (HF LlamaAttention).
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Core.Inference;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Model;

/// <summary>Causal multi-head self-attention with RoPE and grouped-query key/value heads.</summary>
internal sealed class CausalSelfAttention : nn.Module
{
    private readonly int _heads, _kvHeads, _headDim;

    public readonly nn.Linear q_proj, k_proj, v_proj, o_proj;

    public CausalSelfAttention(ModelConfig config, Generator generator, ScalarType dtype)
    {
        _heads = config.NumAttentionHeads;
        _kvHeads = config.NumKeyValueHeads;
        _headDim = config.HeadDim;
        int d = config.HiddenSize;
        q_proj = Init.Linear(d, _heads * _headDim, generator, dtype);
        k_proj = Init.Linear(d, _kvHeads * _headDim, generator, dtype);
        v_proj = Init.Linear(d, _kvHeads * _headDim, generator, dtype);
        o_proj = Init.Linear(_heads * _headDim, d, generator, dtype);
        RegisterComponents();
    }

    /// <summary>(B, T, C) -> (B, T, C), with rotary tables (P, D/2) covering at least T positions.</summary>
    public Tensor forward(Tensor x, Tensor cos, Tensor sin) => forward(x, cos, sin, null, 0);

    /// <summary>
    /// (B, T, C) -> (B, T, C). With a cache the T tokens sit at positions cache.Length.. : their keys and values
    /// are appended to layer <paramref name="layer"/>'s cache and the queries attend to every cached position.
    /// </summary>
    public Tensor forward(Tensor x, Tensor cos, Tensor sin, KvCache? cache, int layer)
    {
        long b = x.size(0), t = x.size(1);
        var (q, k, v, qk) = ProjectHeads(x);                                        // (B, H|Hkv, T, D)
        long offset = cache?.Length ?? 0;                                           // absolute position of token 0
        if (qk is not null)
        {
            // Fused projection: q and k are adjacent head ranges of one tensor, rotated in one kernel call (the same
            // arithmetic per row as two calls), then split again as views.
            qk = nn.functional.apply_rotary_emb(qk, cos, sin, offset);             // (B, H + Hkv, T, D)
            (q, k) = (qk.narrow(1, 0, _heads), qk.narrow(1, _heads, _kvHeads));
        }
        else
        {
            q = nn.functional.apply_rotary_emb(q, cos, sin, offset);
            k = nn.functional.apply_rotary_emb(k, cos, sin, offset);
        }
        if (cache is not null) (k, v) = cache.Append(layer, k, v);                  // (B, Hkv, S, D), S = offset + T
        // The fused kernel maps query head h to key/value head h / (H / Hkv), as HF's repeat_kv does. Its causal
        // mask is bottom-right aligned, so with a cache new token i sees every key up to position offset + i.
        var y = nn.functional.scaled_dot_product_attention(q, k, v, is_causal: true); // (B, H, T, D)
        y = y.transpose(1, 2).reshape(b, t, _heads * _headDim);                      // (B, T, H*D)
        return o_proj.forward(y);                                                      // (B, T, C)
    }

    /// <summary>
    /// Token rows from which the inference path computes q, k and v with one GEMM; below it (decoding a token or a few)
    /// concatenating the three weights would cost about as much as the products.
    /// </summary>
    internal const long FusedQkvMinRows = 64;

    /// <summary>
    /// q (B, H, T, D), k and v (B, Hkv, T, D) of <paramref name="x"/> (B, T, C). With gradients off and at least
    /// <see cref="FusedQkvMinRows"/> tokens, one GEMM against the stacked weights [Wq; Wk; Wv] ((H + 2 Hkv) D, C) and
    /// head views of its columns (the rows stay contiguous, which the rotary and attention kernels read in place);
    /// otherwise three projections (the path autograd records).
    /// </summary>
    internal (Tensor Q, Tensor K, Tensor V) Project(Tensor x)
    {
        var (q, k, v, _) = ProjectHeads(x);
        return (q, k, v);
    }

    /// <summary><see cref="Project"/>, plus the head range (B, H + Hkv, T, D) holding q then k when the projection was fused.</summary>
    private (Tensor Q, Tensor K, Tensor V, Tensor? QK) ProjectHeads(Tensor x)
    {
        long b = x.size(0), t = x.size(1);
        if (!is_grad_enabled() && b * t >= FusedQkvMinRows && q_proj.bias is null && k_proj.bias is null && v_proj.bias is null)
        {
            var w = cat([q_proj.weight, k_proj.weight, v_proj.weight], 0);                             // ((H + 2Hkv) D, C)
            var qkv = nn.functional.linear(x, w).view(b, t, _heads + 2 * _kvHeads, _headDim).transpose(1, 2); // (B, H + 2Hkv, T, D)
            return (qkv.narrow(1, 0, _heads), qkv.narrow(1, _heads, _kvHeads), qkv.narrow(1, _heads + _kvHeads, _kvHeads), qkv.narrow(1, 0, _heads + _kvHeads));
        }
        var q = q_proj.forward(x).view(b, t, _heads, _headDim).transpose(1, 2);   // (B, H, T, D)
        var k = k_proj.forward(x).view(b, t, _kvHeads, _headDim).transpose(1, 2); // (B, Hkv, T, D)
        var v = v_proj.forward(x).view(b, t, _kvHeads, _headDim).transpose(1, 2); // (B, Hkv, T, D)
        return (q, k, v, null);
    }
}
