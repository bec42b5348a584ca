// X-MoE router (Chi et al. 2022, arXiv 2204.09179, eq. 5): scores in a low routing dimension, s_e = cos(W_red x, w_e) / tau
// with a learned temperature (paper form), or (W_red x) . normalize(w_e) as in microsoft/torchscale (code form).
using PluginMoE.Abstractions.Routing;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;
using F = PluginMoE.Tensors.torch.nn.functional;

namespace PluginMoE.Plugins.Routers;

/// <summary>
/// The X-MoE router. Parameters: <c>wg_reduction.weight</c> (r, d), the expert embeddings <c>wg</c> (n, r) and, in the
/// paper form, the temperature <c>temperature</c> (1).
/// </summary>
public sealed class XMoeRouter : RouterModule
{
    private readonly nn.Linear _wg_reduction; // d -> r, no bias
    private readonly XMoeRouterOptions _options;
    private readonly int _modelDim;

    /// <summary>Builds the router: <c>W_red</c> Kaiming-uniform, <c>wg</c> orthogonal with gain 0.1, tau = InitTemperature.</summary>
    public XMoeRouter(RouterSpec spec, XMoeRouterOptions options)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        if (spec.ModelDim <= 0 || spec.NumExperts <= 0 || spec.TopK <= 0 || spec.TopK > spec.NumExperts)
            throw new ArgumentException(
                $"router 'xmoe': need ModelDim > 0 and 1 <= TopK <= NumExperts; got ModelDim {spec.ModelDim}, NumExperts {spec.NumExperts}, TopK {spec.TopK}", nameof(spec));
        _options = options;
        _modelDim = spec.ModelDim;
        TopK = spec.TopK;
        _wg_reduction = new nn.Linear(spec.ModelDim, options.RoutingDim, bias: false, generator: spec.Generator, dtype: spec.DType);
        var wg = empty([spec.NumExperts, options.RoutingDim], spec.DType);
        nn.init.orthogonal_(wg, 0.1, spec.Generator);
        this.wg = new nn.Parameter(wg);
        register_parameter("wg", this.wg);
        if (options.Form == XMoeRouterOptions.Paper)
        {
            temperature = new nn.Parameter(full([1], options.InitTemperature, spec.DType));
            register_parameter("temperature", temperature);
        }
        RegisterComponents(); // wg_reduction
    }

    /// <summary>Expert embeddings (n, r).</summary>
    public nn.Parameter wg { get; private set; }

    /// <summary>The learned temperature (1) of the paper form; null in the code form.</summary>
    public nn.Parameter? temperature { get; }

    /// <summary>The projection to the routing dimension (d to r).</summary>
    public nn.Linear WReduction => _wg_reduction;

    /// <inheritdoc/>
    public override int NumExperts => (int)wg.size(0);

    /// <inheritdoc/>
    public override int TopK { get; }

    /// <summary>Routes (N, d) tokens by their scores against the normalised expert embeddings.</summary>
    public override RoutingResult Route(Tensor tokens, RoutingContext context)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var h = _wg_reduction.forward(tokens);                            // (N, r)
        var experts = Gating.L2Normalize(wg);                             // (n, r)
        var logits = temperature is null
            ? F.linear(h, experts)                                        // (N, n) torchscale code form
            : F.linear(Gating.L2Normalize(h), experts) / temperature;     // (N, n) cosine / tau
        var (weights, indices, probs) = Gating.TopK(logits, TopK, _options.Normalize);
        return new RoutingResult(indices, weights, probs, logits);
    }

    /// <summary>Keeps the old expert embeddings and appends random ones (normal, std 0.1/sqrt(r): only their direction matters).</summary>
    public override void AddExperts(ExpertExtension extension)
    {
        ArgumentNullException.ThrowIfNull(extension);
        if (extension.Count <= 0) throw new ArgumentException($"router 'xmoe': cannot add {extension.Count} experts", nameof(extension));
        Tensor grown;
        using (no_grad())
        {
            var fresh = empty([extension.Count, wg.size(1)], wg.dtype);
            nn.init.normal_(fresh, 0, 0.1 / Math.Sqrt(wg.size(1)), extension.Generator);
            grown = cat([wg.detach(), fresh], 0).contiguous();          // (n + c, r)
        }
        wg = new nn.Parameter(grown, wg.requires_grad);
        register_parameter("wg", wg);
    }

    /// <inheritdoc/>
    public override string extra_repr() =>
        $"model_dim={_modelDim}, experts={NumExperts}, routing_dim={wg.size(1)}, form='{_options.Form}', top_k={TopK}, normalize='{_options.Normalize}'";
}
