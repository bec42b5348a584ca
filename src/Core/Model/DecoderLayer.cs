// One pre-norm Llama block: x + attn(norm(x)), then + ffn(norm(x)); the FFN is a dense expert or an MoE block.
using PluginMoE.Abstractions.Experts;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Inference;
using PluginMoE.Core.Moe;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Model;

/// <summary>A transformer block (HF LlamaDecoderLayer / MixtralDecoderLayer).</summary>
internal sealed class DecoderLayer : nn.Module
{
    private readonly nn.RMSNorm _input_layernorm;
    private readonly CausalSelfAttention _self_attn;
    private readonly nn.RMSNorm _post_attention_layernorm;
    private readonly nn.Module _mlp; // a MoeLayer or a dense ExpertModule

    public DecoderLayer(ModelPlan plan, int index, IComponentCatalog catalog, Generator generator, ScalarType dtype, Tensor? domainEmbeddings)
    {
        var config = plan.Config;
        _input_layernorm = new nn.RMSNorm(config.HiddenSize, config.RmsNormEps, dtype: dtype);
        _self_attn = new CausalSelfAttention(config, generator, dtype);
        _post_attention_layernorm = new nn.RMSNorm(config.HiddenSize, config.RmsNormEps, dtype: dtype);
        if (config.Moe is { } moe && moe.IsMoeLayer(index))
            _mlp = new MoeLayer(plan, catalog, generator, dtype, domainEmbeddings);
        else
            _mlp = PluginBuilder.Expert(catalog, plan, config.HiddenSize, config.IntermediateSize, generator, dtype);
        RegisterComponents(); // input_layernorm, self_attn, post_attention_layernorm, mlp
    }

    /// <summary>The MoE block, or null when this layer's FFN is dense.</summary>
    public MoeLayer? Moe => _mlp as MoeLayer;

    /// <summary>The dense FFN expert, or null when this layer's FFN is an MoE block.</summary>
    public ExpertModule? Dense => _mlp as ExpertModule;

    /// <summary>
    /// (B, T, C) -> (B, T, C); <paramref name="routing"/> carries the (B*T) token mask, step, training flag and generator;
    /// appends this layer's keys/values to <paramref name="cache"/> (layer <paramref name="layer"/>) when given.
    /// Returns the MoE output when there is one.
    /// </summary>
    public (Tensor X, MoeOutput? Moe) forward(Tensor x, Tensor cos, Tensor sin, RoutingContext routing, KvCache? cache, int layer)
    {
        long b = x.size(0), t = x.size(1), c = x.size(2);
        var attn = _self_attn.forward(_input_layernorm.forward(x), cos, sin, cache, layer); // (B, T, C)
        // x + attn and its post-attention RMSNorm in one fused pass (F.add_rms_norm).
        var norm = _post_attention_layernorm;
        (x, var normed) = nn.functional.add_rms_norm(x, attn, norm.normalized_shape, norm.weight, norm.eps);
        var h = normed.reshape(b * t, c);                                                   // (B*T, C) tokens
        if (Moe is null) return (x + Dense!.forward(h).view(b, t, c), null);
        var moe = Moe.forward(h, routing);
        return (x + moe.Output.view(b, t, c), moe);
    }
}
