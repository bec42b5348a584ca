// Picks the next token from one position's logits: greedy argmax, or temperature-scaled softmax restricted to the
// nucleus (Holtzman et al. 2020, "The Curious Case of Neural Text Degeneration", top-p sampling).
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Inference;

/// <summary>Next-token selection from logits, in float64 so the choice does not depend on summation order.</summary>
public static class TokenSampler
{
    /// <summary>
    /// The next token: with <paramref name="temperature"/> 0 the highest logit (the lowest id on ties); otherwise a
    /// draw from <c>softmax(logits / temperature)</c> restricted to the nucleus, the fewest most likely tokens whose
    /// probability adds up to at least <paramref name="topP"/> (ties ordered by id), renormalised. Uses one uniform
    /// draw of <paramref name="generator"/> per call when sampling, none when greedy.
    /// </summary>
    /// <param name="logits">(V) logits of one position.</param>
    /// <param name="temperature">0 for greedy, else a positive divisor of the logits.</param>
    /// <param name="topP">Nucleus mass in (0, 1].</param>
    /// <param name="generator">Random source of the draw.</param>
    /// <exception cref="InvalidOperationException">A logit is NaN or +infinity, or every logit is -infinity.</exception>
    public static int Sample(ReadOnlySpan<float> logits, double temperature, double topP, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (logits.IsEmpty) throw new ArgumentException("TokenSampler: no logits to sample from", nameof(logits));
        int best = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            if (float.IsNaN(logits[i]) || float.IsPositiveInfinity(logits[i]))
                throw new InvalidOperationException($"TokenSampler: the model produced a non-finite logit ({logits[i]}) for token {i}; the checkpoint may be corrupt or diverged");
            if (logits[i] > logits[best]) best = i;
        }
        if (float.IsNegativeInfinity(logits[best]))
            throw new InvalidOperationException("TokenSampler: every logit is -infinity; there is no token to choose");
        if (temperature == 0) return best;

        // Probabilities up to a common factor: exp((l - max) / T) is 1 for the best token and never overflows.
        var weights = new double[logits.Length];
        for (int i = 0; i < logits.Length; i++) weights[i] = Math.Exp(((double)logits[i] - logits[best]) / temperature);
        var order = new int[logits.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, (a, b) => weights[a] != weights[b] ? weights[b].CompareTo(weights[a]) : a.CompareTo(b));

        double total = 0;
        foreach (double w in weights) total += w;
        double target = topP * total, kept = 0;
        int count = 0;
        while (count < order.Length && (count == 0 || kept < target)) kept += weights[order[count++]];

        double u = rand([1], ScalarType.Float64, generator: generator).ToDouble() * kept; // [0, kept)
        for (int j = 0; j < count; j++)
        {
            u -= weights[order[j]];
            if (u < 0) return order[j];
        }
        return order[count - 1]; // rounding left u at the very top
    }
}
