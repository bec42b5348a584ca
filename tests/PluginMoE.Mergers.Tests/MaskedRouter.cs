// Test router: linear logits with the experts from MaskFrom on masked out, so an appended expert is never
// chosen; gates are the softmax over the k best logits (they sum to one).
using PluginMoE.Abstractions.Routing;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Mergers.Tests;

internal sealed class MaskedRouterFactory(int maskFrom) : IRouterFactory
{
    public Type? OptionsType => null;

    public RouterModule Create(RouterSpec spec) => new MaskedRouter(spec, maskFrom);
}

internal sealed class MaskedRouter : RouterModule
{
    private readonly int _maskFrom;

    public MaskedRouter(RouterSpec spec, int maskFrom)
    {
        _maskFrom = maskFrom;
        TopK = spec.TopK;
        weight = new nn.Parameter(randn([spec.NumExperts, spec.ModelDim], generator: spec.Generator));
        register_parameter("weight", weight);
    }

    public nn.Parameter weight { get; private set; }

    public override int NumExperts => (int)weight.size(0);

    public override int TopK { get; }

    public override RoutingResult Route(Tensor tokens, RoutingContext context)
    {
        var logits = nn.functional.linear(tokens, weight);                                // (N, n)
        var masked = logits.masked_fill(arange(NumExperts).ge(_maskFrom), -1e9);       // (N, n)
        var (top, indices) = masked.topk(TopK, -1);
        return new RoutingResult(indices, top.softmax(-1), masked.softmax(-1), masked);
    }

    public override void AddExperts(ExpertExtension extension)
    {
        weight = new nn.Parameter(cat([weight.detach(), zeros([extension.Count, weight.size(1)], weight.dtype)], 0));
        register_parameter("weight", weight);
    }
}
