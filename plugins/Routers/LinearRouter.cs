// BTX/Mixtral/Switch linear router: logits = W x (W: n x d), gates from the top-k logits, Switch top-1, soft routing
// over all experts, or BTX's Gumbel-softmax sample top-1 with an annealed temperature (docs/methods.md "linear").
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
        if (options.Variant is LinearRouterOptions.SwitchVariant or LinearRouterOptions.SampleTop1Variant && spec.TopK != 1)
            throw new ArgumentException(
                $"router 'linear': Variant '{options.Variant}' sends each token to one expert, but TopK is {spec.TopK}; set Model:Moe:TopK to 1");
        if (options.Variant == LinearRouterOptions.SoftVariant && spec.TopK != spec.NumExperts)
            throw new ArgumentException(
                $"router 'linear': Variant 'soft' sends each token to all {spec.NumExperts} experts, but TopK is {spec.TopK}; set Model:Moe:TopK to {spec.NumExperts}");
        _options = options;
        _modelDim = spec.ModelDim;
        _dtype = spec.DType;
        TopK = spec.TopK;
        weight = new nn.Parameter(Normal(spec.NumExperts, spec.Generator));
        register_parameter("weight", weight);
    }

    /// <summary>A router whose weight is <paramref name="weight"/> (n, d) (kept, not copied): the frozen form of computed routers such as Nexus.</summary>
    public static LinearRouter FromWeight(Tensor weight, int topK, LinearRouterOptions options)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(options);
        var router = new LinearRouter(new RouterSpec((int)weight.size(1), (int)weight.size(0), topK) { DType = weight.dtype }, options);
        router.weight = new nn.Parameter(weight.detach().contiguous());
        router.register_parameter("weight", router.weight);
        return router;
    }

    /// <summary>The router matrix (n, d).</summary>
    public nn.Parameter weight { get; private set; }

    /// <inheritdoc/>
    public override int NumExperts => (int)weight.size(0);

    /// <inheritdoc/>
    public override int TopK { get; }

    /// <summary>The options in use.</summary>
    public LinearRouterOptions Options => _options;

    /// <summary>Routes (N, d) tokens; in training, jitter and Gumbel noise come from the context's generator.</summary>
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
        switch (_options.Variant)
        {
            case LinearRouterOptions.SoftVariant:
            {
                var probs = logits.softmax(-1);                                        // (N, n): every expert, in id order
                var all = arange(NumExperts).unsqueeze(0).expand(tokens.size(0), NumExperts).contiguous();
                return new RoutingResult(all, probs, probs, logits);
            }
            case LinearRouterOptions.SampleTop1Variant:
                return SampleTop1(logits, context);
            case LinearRouterOptions.SwitchVariant:
            {
                var (w, i, p) = Gating.TopK(logits, 1, LinearRouterOptions.SoftmaxTopK); // gate = p of the chosen expert
                return new RoutingResult(i, w, p, logits);
            }
            default:
            {
                var (w, i, p) = Gating.TopK(logits, TopK, _options.Normalize);
                return new RoutingResult(i, w, p, logits);
            }
        }
    }

    /// <summary>
    /// Gumbel-softmax top-1 (Jang et al. 2016): in training the expert is argmax(logits + G) and its gate
    /// softmax((logits + G) / tau) with tau = max(tau_min, exp(-r t)); in evaluation argmax(logits) and softmax(logits / tau_min).
    /// </summary>
    private RoutingResult SampleTop1(Tensor logits, RoutingContext context)
    {
        var probs = logits.softmax(-1);                                                // (N, n) clean, for the balancing loss
        Tensor scores;
        double tau;
        if (context.Training)
        {
            var u = rand(logits.shape, logits.dtype, context.RequireGenerator("linear", "Gumbel noise of sample-top1"));
            var gumbel = -(-(u.clamp(1e-20, 1 - 1e-7)).log()).log();                  // G = -log(-log U)
            scores = logits + gumbel;                                                  // (N, n)
            tau = GumbelTemperature(context.Step);
        }
        else
        {
            scores = logits;
            tau = _options.GumbelMinTemperature;
        }
        var index = scores.detach().argmax(-1, keepdim: true);                        // (N, 1)
        var gate = (scores / tau).softmax(-1).gather(1, index);                       // (N, 1)
        return new RoutingResult(index, gate, probs, logits);
    }

    /// <summary>The sample-top-1 temperature at optimizer step <paramref name="step"/>: max(GumbelMinTemperature, exp(-GumbelAnnealRate * step)).</summary>
    public double GumbelTemperature(long step) => Math.Max(_options.GumbelMinTemperature, Math.Exp(-_options.GumbelAnnealRate * step));

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

    /// <summary>
    /// The Hugging Face gate: softmax over all n logits, top k, renormalised unless the gates are the plain softmax
    /// probabilities (<c>softmax-topk</c>, <c>switch</c>); null for <c>sample-top1</c>, whose evaluation gate has a temperature.
    /// </summary>
    public HuggingFaceGate? ToHuggingFace() => _options.Variant switch
    {
        LinearRouterOptions.SampleTop1Variant => null,
        LinearRouterOptions.SwitchVariant => new(weight, RenormalizeTopK: false) { JitterNoise = _options.JitterNoise },
        LinearRouterOptions.SoftVariant => new(weight, RenormalizeTopK: true) { JitterNoise = _options.JitterNoise },
        _ => new(weight, RenormalizeTopK: _options.Normalize != LinearRouterOptions.SoftmaxTopK) { JitterNoise = _options.JitterNoise },
    };

    /// <inheritdoc/>
    public override string extra_repr() =>
        $"in_features={_modelDim}, experts={NumExperts}, top_k={TopK}, variant='{_options.Variant}', normalize='{_options.Normalize}'";

    private Tensor Normal(int rows, Generator generator)
    {
        var w = empty([rows, _modelDim], _dtype);
        nn.init.normal_(w, 0, _options.InitStd, generator);
        return w;
    }
}
