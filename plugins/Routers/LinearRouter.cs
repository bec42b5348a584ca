// BTX/Mixtral linear top-k router: logits = W x (W: n x d), gates from the top-k logits (METHODS.md).
using PluginMoE.Abstractions.Routing;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Plugins.Routers;

/// <summary>A learned linear router; its only parameter is <c>weight</c> (n, d).</summary>
public sealed class LinearRouter : RouterModule, IHuggingFaceRouter
{
    private readonly LinearRouterOptions _options;
    private readonly int _modelDim;
    private readonly ScalarType _dtype;

    /// <summary>Builds the router with <c>weight</c> drawn from normal(0, InitStd).</summary>
    public LinearRouter(RouterSpec spec, LinearRouterOptions options)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        if (spec.ModelDim <= 0 || spec.NumExperts <= 0 || spec.TopK <= 0 || spec.TopK > spec.NumExperts)
            throw new ArgumentException(
                $"router 'linear': need ModelDim > 0 and 1 <= TopK <= NumExperts; got ModelDim {spec.ModelDim}, NumExperts {spec.NumExperts}, TopK {spec.TopK}", nameof(spec));
        _options = options;
        _modelDim = spec.ModelDim;
        _dtype = spec.DType;
        TopK = spec.TopK;
        weight = new nn.Parameter(Normal(spec.NumExperts, spec.Generator));
        register_parameter("weight", weight);
    }

    /// <summary>The router matrix (n, d).</summary>
    public nn.Parameter weight { get; private set; }

    /// <inheritdoc/>
    public override int NumExperts => (int)weight.size(0);

    /// <inheritdoc/>
    public override int TopK { get; }

    /// <summary>The options in use.</summary>
    public LinearRouterOptions Options => _options;

    /// <summary>Routes (N, d) tokens; in training with <c>JitterNoise</c> the noise comes from the context's generator.</summary>
    public override RoutingResult Route(Tensor tokens, RoutingContext context)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(context);
        if (context.Training && _options.JitterNoise > 0)
        {
            var u = rand(tokens.shape, tokens.dtype, context.RequireGenerator("linear", "jitter noise")); // U(0, 1)
            tokens = tokens * (u * (2 * _options.JitterNoise) + (1 - _options.JitterNoise)); // x * U(1 - eps, 1 + eps)
        }
        var logits = nn.functional.linear(tokens, weight);                             // (N, n)
        var probs = logits.softmax(-1);                                                // (N, n) for the balancing loss
        Tensor indices, weights;
        if (_options.Normalize == LinearRouterOptions.SoftmaxTopK)
            (weights, indices) = probs.topk(TopK, -1);                                 // (N, k) not renormalised
        else
        {
            (var top, indices) = logits.topk(TopK, -1);                                // (N, k)
            weights = top.softmax(-1);                                                 // softmax over the chosen k
        }
        return new RoutingResult(indices, weights, probs, logits);
    }

    /// <summary>
    /// Grows the matrix to n + c rows. <c>reset</c>: every row is drawn again from normal(0, InitStd) with the
    /// extension's generator. <c>expand</c>: old rows are kept; new rows are the mean of the old rows or random.
    /// The parameter is replaced, so build optimisers after extending.
    /// </summary>
    public override void AddExperts(ExpertExtension extension)
    {
        ArgumentNullException.ThrowIfNull(extension);
        if (extension.Count <= 0) throw new ArgumentException($"router 'linear': cannot add {extension.Count} experts", nameof(extension));
        int n = NumExperts + extension.Count;
        Tensor grown;
        using (no_grad())
        {
            if (_options.ExtendMode == "reset")
                grown = Normal(n, extension.Generator);
            else
            {
                var fresh = _options.ExpandInit == "mean"
                    ? weight.mean(0, keepdim: true).expand(extension.Count, _modelDim)  // (c, d) mean of the old rows
                    : Normal(extension.Count, extension.Generator);
                grown = cat([weight.detach(), fresh], 0).contiguous();             // (n + c, d)
            }
        }
        weight = new nn.Parameter(grown, weight.requires_grad);
        register_parameter("weight", weight);
    }

    /// <summary>The Hugging Face gate: softmax over all n logits, top k, renormalised under <c>topk-softmax</c>
    /// (softmax over the k best logits equals softmax-then-top-k-then-renormalise) and not under <c>softmax-topk</c>.</summary>
    public HuggingFaceGate? ToHuggingFace() =>
        new(weight, RenormalizeTopK: _options.Normalize == LinearRouterOptions.TopKSoftmax);

    /// <inheritdoc/>
    public override string extra_repr() =>
        $"in_features={_modelDim}, experts={NumExperts}, top_k={TopK}, normalize='{_options.Normalize}'";

    private Tensor Normal(int rows, Generator generator)
    {
        var w = empty([rows, _modelDim], _dtype);
        nn.init.normal_(w, 0, _options.InitStd, generator);
        return w;
    }
}
