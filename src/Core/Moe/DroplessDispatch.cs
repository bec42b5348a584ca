// Dropless top-k dispatch (MegaBlocks-style, without padding): one counting sort of the N*k token slots by expert
// (DispatchPlan), experts that expose IGroupedFfnExpert computed together with one grouped GEMM per projection (narrow
// experts, as MH-MoE's sub-token ones, as one fused grouped SwiGLU MLP), the others once each on their contiguous rows;
// weighted scatter-add back in one fused op (F.index_add_rows). An always-on shared expert (y = shared(x) + routed sum) whose grouped form matches a group
// runs as one more member of it: its N rows at weight 1 go through the same grouped GEMMs and the same scatter-add.
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
    /// <param name="grouped">Whether experts that offer <see cref="IGroupedFfnExpert"/> run as grouped GEMMs (default); false
    /// runs every expert through its own forward (the reference the grouped path is tested against).</param>
    /// <returns>(N, d) weighted sum of the chosen experts' outputs.</returns>
    /// <exception cref="ArgumentException">Shapes do not fit, or an expert id is out of range.</exception>
    public static Tensor forward(Tensor tokens, Tensor indices, Tensor weights, IReadOnlyList<IExpert> experts, bool grouped = true) =>
        Run(tokens, indices, weights, experts, grouped).Output;

    /// <summary><see cref="forward"/>, also returning the plan (its per-expert counts serve the layer's statistics).</summary>
    /// <param name="tokens">(N, d) inputs.</param>
    /// <param name="indices">(N, k) int64 expert ids.</param>
    /// <param name="weights">(N, k) gate weights.</param>
    /// <param name="experts">The experts, by id.</param>
    /// <param name="grouped">Whether grouped experts run as grouped GEMMs.</param>
    /// <param name="addTo">(N, d) values the weighted slot outputs are summed onto (the shared expert's output), or null for
    /// zeros: the combine then needs no separate full-size sum.</param>
    /// <param name="shared">An always-on expert added at weight 1 for every token, or null. When <paramref name="grouped"/>
    /// and it offers the grouped form of one of the routed groups (<see cref="IGroupedFfnExpert"/>, same kind, shapes,
    /// dtype and device), it runs inside that group's grouped GEMMs; otherwise through its own forward, as the base the
    /// combine sums onto.</param>
    internal static (Tensor Output, DispatchPlan? Plan) Run(Tensor tokens, Tensor indices, Tensor weights, IReadOnlyList<IExpert> experts, bool grouped,
        Tensor? addTo = null, IExpert? shared = null)
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
        if (addTo is not null && !addTo.shape.SequenceEqual(tokens.shape))
            throw new ArgumentException($"dispatch: addTo has shape [{string.Join(", ", addTo.shape)}], expected the tokens' [{string.Join(", ", tokens.shape)}]");
        if (n == 0 || k == 0) return (shared is null ? addTo ?? zeros_like(tokens) : Sum(addTo, shared.forward(tokens)), null);

        var sharedWeights = grouped && shared is IGroupedFfnExpert g ? g.GroupedWeights : null;
        var plan = DispatchPlan.Create(indices, experts, grouped, tokens.device, sharedWeights);
        if (shared is not null && !plan.SharedJoined) addTo = Sum(addTo, shared.forward(tokens)); // (N, d) the combine's base
        var xs = tokens.index_select(0, plan.Token);                    // (N*k [+ N], d) expert-contiguous rows
        var flat = weights.reshape(-1);
        if (plan.SharedJoined) flat = cat([flat, ones_like(flat.narrow(0, 0, 1))], 0); // slot N*k: the shared expert's weight 1
        var w = flat.index_select(0, plan.Slot);                         // (N*k [+ N]) gate weight of each sorted row
        var outs = new List<Tensor>(plan.Segments.Count);
        foreach (var seg in plan.Segments)
        {
            var rows = plan.Segments.Count == 1 ? xs : xs.narrow(0, seg.Start, seg.Rows);
            outs.Add(seg.Weights is { } group ? GroupedFfn(rows, group, seg.Counts) : experts[seg.Experts[0]].forward(rows));
        }
        var ys = outs.Count == 1 ? outs[0] : cat([.. outs], 0); // (N*k [+ N], d) slot outputs
        // (N, d): y[token[r]] += w[r] * ys[r], one fused pass (no weighted (R, d) temporary, no zero fill)
        return (nn.functional.index_add_rows(plan.Token, ys, w, n, addTo), plan);
    }

    private static Tensor Sum(Tensor? a, Tensor b) => a is null ? b : a + b;

    /// <summary>
    /// Whether a SwiGLU group runs as one fused op (<see cref="nn.functional.grouped_swiglu_ffn"/>): when the hidden width
    /// is at least 8x the expert width, as for MH-MoE's sub-token experts (d/h wide, hidden 4 x d), the (R, H) hidden
    /// activations dwarf the rows and their memory traffic, not the GEMMs, decides; the fused op keeps them in cache
    /// and recomputes them in backward. Wider experts (the usual hidden = 4 x d) keep the three grouped GEMMs.
    /// </summary>
    internal static bool FusedFfn(Tensor rows, GroupedFfnWeights w) => w.Up.size(0) >= 8 * rows.size(1);

    /// <summary>The experts of one group on their sorted rows: one grouped GEMM per projection.</summary>
    private static Tensor GroupedFfn(Tensor rows, GroupedFfnWeights[] group, long[] counts)
    {
        var kind = group[0].Kind;
        switch (kind)
        {
            case GroupedFfnKind.SwiGlu when FusedFfn(rows, group[0]):
                return nn.functional.grouped_swiglu_ffn(rows, [.. group.Select(g => g.Gate!)], [.. group.Select(g => g.Up)],
                    [.. group.Select(g => g.Down)], counts); // (R, d), hidden activations in cache, recomputed in backward
            case GroupedFfnKind.SwiGlu:
            {
                var gate = nn.functional.grouped_linear(rows, [.. group.Select(g => g.Gate!)], counts); // (R, hidden)
                var up = nn.functional.grouped_linear(rows, [.. group.Select(g => g.Up)], counts);      // (R, hidden)
                return nn.functional.grouped_linear(nn.functional.swiglu(gate, up), [.. group.Select(g => g.Down)], counts); // (R, d)
            }
            default:
                throw new NotSupportedException($"dispatch: grouped feed-forward kind {kind} is not known to this version of PluginMoE.Core");
        }
    }
}
