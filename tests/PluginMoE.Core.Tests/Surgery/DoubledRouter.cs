// A test router whose training form differs from its inference form, as Nexus's does: its gate matrix is 2 * raw
// (computed at every call); its inference form is the `linear` plugin with that matrix computed once.
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Plugins.Routers;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Tests.Surgery;

internal sealed class DoubledRouter : RouterModule
{
    private readonly RouterSpec _spec;

    public DoubledRouter(RouterSpec spec)
    {
        _spec = spec;
        TopK = spec.TopK;
        raw = new nn.Parameter(randn([spec.NumExperts, spec.ModelDim], spec.DType, spec.Generator) * 0.5);
        register_parameter("raw", raw);
    }

    public nn.Parameter raw { get; private set; }

    public override int NumExperts => (int)raw.size(0);

    public override int TopK { get; }

    private Tensor Gate() => raw * 2.0;

    public override RoutingResult Route(Tensor tokens, RoutingContext context)
    {
        var logits = nn.functional.linear(tokens, Gate()); // the same op as the linear router on the same matrix
        var (top, indices) = logits.topk(TopK, -1);
        return new RoutingResult(indices, top.softmax(-1), logits.softmax(-1), logits);
    }

    public override void AddExperts(ExpertExtension extension)
    {
        raw = new nn.Parameter(cat([raw.detach(), zeros([extension.Count, raw.size(1)], raw.dtype)], 0).contiguous());
        register_parameter("raw", raw);
    }

    public override RouterInferenceForm ToInference()
    {
        var linear = new LinearRouter(_spec with { NumExperts = NumExperts }, new LinearRouterOptions());
        using (no_grad()) linear.weight.copy_(Gate());
        return new RouterInferenceForm(linear) { Plugin = "linear", Options = new JsonObject { ["Normalize"] = "topk-softmax" } };
    }
}

internal sealed class DoubledRouterFactory : IRouterFactory
{
    public Type? OptionsType => null;

    public RouterModule Create(RouterSpec spec) => new DoubledRouter(spec);
}
