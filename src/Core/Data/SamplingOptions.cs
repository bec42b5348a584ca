// How training windows are drawn: per-domain weights, a temperature over them, and the window order.
namespace PluginMoE.Core.Data;

/// <summary>The order windows are taken from a domain's token stream.</summary>
public enum WindowOrder
{
    /// <summary>A uniformly random window start for every row (the default).</summary>
    Random,

    /// <summary>Consecutive packed windows (T tokens apart) from a cursor that wraps at the end of the stream; the cursor is the data position saved for resume.</summary>
    Sequential,
}

/// <summary>Sampling settings of a <see cref="MixedDomainSampler"/>.</summary>
public sealed record SamplingOptions
{
    /// <summary>Domain -> non-negative weight (domains left out get 0); null weights every domain by its token count.</summary>
    public IReadOnlyDictionary<string, double>? Weights { get; init; }

    /// <summary>
    /// Temperature τ: domain probabilities become p_i ∝ w_i^(1/τ) (XLM/mT5 temperature sampling); 1 keeps the
    /// weights, larger values flatten towards uniform, smaller ones sharpen.
    /// </summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Random or sequential (packed) windows.</summary>
    public WindowOrder Order { get; init; } = WindowOrder.Random;
}
