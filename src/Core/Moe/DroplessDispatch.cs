// Dropless top-k dispatch (MegaBlocks-style, without padding): sort the N*k token slots by expert, run each
// expert once on its contiguous batch (a grouped GEMM as a loop of GEMMs), weight, scatter-add back.
using PluginMoE.Abstractions.Experts;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Moe;

/// <summary>Computes <c>y_t = sum_j w_tj * expert_{i_tj}(x_t)</c> for every token slot (no capacity, no dropping).</summary>
public static class DroplessDispatch
{
    /// <summary>Routes <paramref name="tokens"/> through the experts chosen in <paramref name="indices"/>.</summary>
    /// <param name="tokens">(N, d) inputs.</param>
    /// <param name="indices">(N, k) int64 expert ids in [0, experts.Count).</param>
    /// <param name="weights">(N, k) gate weights, dtype of <paramref name="tokens"/>.</param>
    /// <param name="experts">The experts, by id.</param>
    /// <returns>(N, d) weighted sum of the chosen experts' outputs.</returns>
    /// <exception cref="ArgumentException">Shapes do not fit, or an expert id is out of range.</exception>
    public static Tensor forward(Tensor tokens, Tensor indices, Tensor weights, IReadOnlyList<IExpert> experts)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(experts);
        if (tokens.dim() != 2 || indices.dim() != 2 || indices.size(0) != tokens.size(0) || !weights.shape.SequenceEqual(indices.shape))
            throw new ArgumentException(
                $"dispatch: expected tokens (N, d), indices (N, k) and weights (N, k); got [{string.Join(", ", tokens.shape)}], " +
                $"[{string.Join(", ", indices.shape)}], [{string.Join(", ", weights.shape)}]");
        long n = tokens.size(0), k = indices.size(1);
        int numExperts = experts.Count;
        if (n == 0 || k == 0) return zeros_like(tokens);

        var flat = indices.reshape(-1).to(int64);                       // (N*k) expert of each slot
        var counts = flat.bincount(minlength: numExperts).data<long>(); // slots per expert
        if (counts.Length > numExperts)
            throw new ArgumentException($"dispatch: the router chose expert id {counts.Length - 1}, but the layer has {numExperts} experts (ids 0..{numExperts - 1})");
        var order = flat.argsort(stable: true);                         // (N*k) slots grouped by expert, token order kept within an expert
        var token = arange(n).repeat_interleave(k).index_select(0, order); // (N*k) token of each sorted slot
        var xs = tokens.index_select(0, token);                         // (N*k, d) expert-contiguous batches
        var w = weights.reshape(-1).index_select(0, order);             // (N*k)

        var outs = new List<Tensor>(numExperts);
        long start = 0;
        for (int e = 0; e < numExperts; e++)
        {
            if (counts[e] == 0) continue; // an idle expert costs nothing (and gets no gradient)
            outs.Add(experts[e].forward(xs.narrow(0, start, counts[e]))); // (count_e, d)
            start += counts[e];
        }
        var ys = cat([.. outs], 0) * w.unsqueeze(1);                    // (N*k, d) weighted slot outputs
        return zeros_like(tokens).index_add(0, token, ys);              // (N, d) summed back per token
    }
}
