// The MoE block's path for a handful of tokens at inference (KV-cache decoding): every (token, choice) slot goes straight
// to its SwiGLU expert through one fused op (F.swiglu_expert_sum: each chosen expert's weights read once, gate and up in
// one pass with the SwiGLU fused, the down projection adding the gated output in place), with the shared expert as one
// more slot per token; no counting sort, gather, grouped-GEMM dispatch, scatter-add or bincount. Same sums as
// DroplessDispatch (each token's slots summed onto the shared expert's output in increasing expert id).
using PluginMoE.Abstractions.Experts;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Moe;

/// <summary>The small-token inference path of <see cref="MoeLayer"/>.</summary>
internal static class TokenDispatch
{
    /// <summary>
    /// <c>shared(x_t) + sum_j w_tj * expert_{i_tj}(x_t)</c> for every token through <see cref="nn.functional.swiglu_expert_sum"/>,
    /// with the slot counts per routed expert; null when the path does not apply: more than <paramref name="maxTokens"/>
    /// tokens, an expert (or the shared one) without SwiGLU grouped weights of the tokens' width, dtype and device, or
    /// gradients needed (grad mode on and the tokens or a weight requiring them).
    /// </summary>
    /// <param name="tokens">(N, d) inputs.</param>
    /// <param name="indices">(N, k) expert ids.</param>
    /// <param name="weights">(N, k) gate weights in the tokens' dtype.</param>
    /// <param name="experts">The routed experts, by id.</param>
    /// <param name="shared">The shared expert to sum first (weight 1), or null.</param>
    /// <param name="maxTokens">Largest N the path takes.</param>
    /// <exception cref="ArgumentException">An expert id is out of range.</exception>
    internal static (Tensor Output, long[] Counts)? TryRun(Tensor tokens, Tensor indices, Tensor weights, IReadOnlyList<IExpert> experts, IExpert? shared, int maxTokens)
    {
        if (tokens.dim() != 2 || indices.dim() != 2 || indices.size(0) != tokens.size(0) || !weights.shape.SequenceEqual(indices.shape)) return null;
        long n = tokens.size(0), k = indices.size(1), d = tokens.size(1);
        if (n == 0 || n > maxTokens || k == 0) return null;
        int off = shared is null ? 0 : 1, ne = experts.Count + off;
        var gate = new Tensor[ne];
        var up = new Tensor[ne];
        var down = new Tensor[ne];
        bool grad = is_grad_enabled() && tokens.requires_grad;
        for (int e = 0; e < ne; e++)
        {
            if ((e < off ? shared : experts[e - off]) is not IGroupedFfnExpert g || g.GroupedWeights is not { Kind: GroupedFfnKind.SwiGlu, Gate: { } wg } w)
                return null;
            if (wg.dim() != 2 || wg.size(1) != d || wg.dtype != tokens.dtype || wg.device != tokens.device) return null;
            (gate[e], up[e], down[e]) = (wg, w.Up, w.Down);
            grad |= is_grad_enabled() && (wg.requires_grad || w.Up.requires_grad || w.Down.requires_grad);
        }
        if (grad) return null;

        var ids = indices.to(int64).contiguous().data<long>(); // (N*k) row-major: slot s is token s / k
        var w8 = tokens.dtype == ScalarType.Float32
            ? Array.ConvertAll(weights.contiguous().data<float>(), v => (double)v)
            : weights.to(ScalarType.Float64).contiguous().data<double>();
        int slots = ids.Length + off * (int)n;
        var tok = new int[slots];
        var exp = new int[slots];
        var wt = new double[slots];
        var counts = new long[experts.Count];
        int at = 0;
        for (int t = 0; t < off * n; t++) (tok[at], exp[at], wt[at], at) = (t, 0, 1.0, at + 1); // the shared expert, weight 1
        for (int s = 0; s < ids.Length; s++)
        {
            long id = ids[s];
            if (id < 0 || id >= experts.Count)
                throw new ArgumentException($"dispatch: the router chose expert id {id}, but the layer has {experts.Count} experts (ids 0..{experts.Count - 1})");
            counts[id]++;
            (tok[at], exp[at], wt[at], at) = ((int)(s / k), (int)id + off, w8[s], at + 1);
        }
        return (nn.functional.swiglu_expert_sum(tokens, tok, exp, wt, gate, up, down), counts);
    }
}
