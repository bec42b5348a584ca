// The linear router plugin's factory; it also says which options make the router a Hugging Face gate.
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Routing;

namespace PluginMoE.Plugins.Routers;

/// <summary>Creates <see cref="LinearRouter"/>s.</summary>
[ExportRouter(Name, Description = "BTX/Mixtral/Switch learned linear router: top-k, switch, soft, sample-top1 (arXiv 2403.07816)")]
public sealed class LinearRouterFactory : IRouterFactory, IHuggingFaceRouterFactory
{
    /// <summary>The plugin name.</summary>
    public const string Name = "linear";

    /// <inheritdoc/>
    public Type? OptionsType => typeof(LinearRouterOptions);

    /// <inheritdoc/>
    public RouterModule Create(RouterSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new LinearRouter(spec, spec.OptionsAs<LinearRouterOptions>());
    }

    /// <summary>Mixtral / DeepSeek gates: <c>topk-softmax</c> when renormalising (equal to softmax-then-renormalise), else <c>softmax-topk</c>.</summary>
    public JsonObject? OptionsFor(bool renormalizeTopK, double jitterNoise)
    {
        var o = new JsonObject { [nameof(LinearRouterOptions.Normalize)] = renormalizeTopK ? LinearRouterOptions.TopKSoftmax : LinearRouterOptions.SoftmaxTopK };
        if (jitterNoise != 0) o[nameof(LinearRouterOptions.JitterNoise)] = jitterNoise;
        return o;
    }
}
