// Model FLOPs per token of the suite's cases (E2eConfig x router), by one convention (PaLM-style 6N plus a causal
// attention term), and the weight bytes a KV-cache decode step reads; what the roofline lines and the "above the
// machine's bound" verdicts of the targets are computed from. BCL only: tests/PluginMoE.Bench.Tests compiles this file.
namespace PluginMoE.Bench.E2E;

/// <summary>
/// The work of one case, per token: <see cref="ActiveMacs"/> multiply-adds with weights (the parameters a token
/// uses), <see cref="AttentionMacs"/> of the score and value products at the case's mean causal context, and from them
/// the model FLOPs of a training step, a prefill and a decoded token, and the float32 weight bytes one decode step reads.
/// </summary>
/// <remarks>
/// Convention (model FLOPs, as PaLM's MFU counts them; what the implementation recomputes is not counted):
/// <list type="bullet">
/// <item>a multiply-add is 2 FLOPs; training = forward + backward = 3 x forward, so 6 x active MACs (PaLM's 6N);</item>
/// <item>N = active weights per token: q, k, v, o (4d^2 per layer), the router (linear and Nexus: d x E; multi-head:
///   the d x d head and merge projections plus per sub-token the xmoe reduction (d/h) x 16 and the 16 x E cosine),
///   the top-k routed experts (3 x width x inner each; multi-head: h sub-tokens of width d/h, each to k experts),
///   the shared expert where the case has one (3 x d x 4d), and the untied LM head d x 256; the embedding is a lookup
///   (0); norms, softmax, activations, the aux loss and the optimizer are not counted;</item>
/// <item>attention: QK^T and AV, 2 x d MACs per attended key per layer, causal: a training or prefill token attends on
///   average to (T + 1) / 2 keys; a decoded token at position p to p + 1 (the suite decodes positions
///   <see cref="E2eConfig.Prompt"/> .. Prompt + Decode - 1);</item>
/// <item>Nexus in training recomputes its router weight E = W2 SwiGLU(W1 d_i) once per step: E x (m x 2d + d x d) MACs
///   per layer, spread over the step's tokens; its frozen inference form is a linear router;</item>
/// <item>a decoded token's FLOPs count its own forward only; the prompt's forward, which the suite's decode call also
///   runs, is not spread over the decoded tokens;</item>
/// <item>decode bytes: the float32 weights one single-token forward reads (N, with multi-head's distinct experts taken
///   as min(E, h x k), an upper bound) plus the embedding row; the KV cache it reads is counted apart.</item>
/// </list>
/// </remarks>
internal sealed record FlopModel(double ActiveMacs, double AttentionMacs, double TrainExtraMacs, double DecodeActiveMacs,
    double DecodeAttentionMacs, double DecodeWeightBytes, double DecodeKvBytes)
{
    /// <summary>Routing dimension of the multi-head case's xmoe router (its default).</summary>
    public const int XMoeRoutingDim = 16;

    /// <summary>Byte vocabulary of every suite model.</summary>
    public const int Vocab = 256;

    /// <summary>Model FLOPs of one training step per token: 6 x (active MACs + attention MACs) plus Nexus's per-step router.</summary>
    public double TrainFlopsPerToken => 6 * (ActiveMacs + AttentionMacs + TrainExtraMacs);

    /// <summary>Model FLOPs of a prefill (forward only) per token.</summary>
    public double PrefillFlopsPerToken => 2 * (ActiveMacs + AttentionMacs);

    /// <summary>Model FLOPs of one decoded token (forward only, inference form, mean decode context).</summary>
    public double DecodeFlopsPerToken => 2 * (DecodeActiveMacs + DecodeAttentionMacs);

    /// <summary>The work of <paramref name="router"/> on <paramref name="c"/> (routers of <see cref="E2eConfig.Routers"/> and
    /// <see cref="E2eConfig.LinearShared"/>).</summary>
    public static FlopModel For(E2eConfig c, string router)
    {
        double d = c.D, e = c.Experts, k = E2eConfig.TopK, inner = 4 * d, h = E2eConfig.MhHeads;
        double attnProj = 4 * d * d;
        bool shared = router is "nexus" or E2eConfig.LinearShared;
        double routerMacs, expertMacs, expertWeightsRead;
        switch (router)
        {
            case "linear" or "nexus" or E2eConfig.LinearShared:
                routerMacs = d * e;
                expertMacs = k * 3 * d * inner;
                expertWeightsRead = expertMacs;
                break;
            case "multi-head":
                double w = d / h;
                routerMacs = 2 * d * d + h * (w * XMoeRoutingDim + XMoeRoutingDim * e);
                expertMacs = h * k * 3 * w * inner;
                expertWeightsRead = Math.Min(e, h * k) * 3 * w * inner;
                break;
            default:
                throw new ArgumentException($"unknown router '{router}'; routers: {string.Join(", ", E2eConfig.Routers)}, {E2eConfig.LinearShared}");
        }
        double sharedMacs = shared ? 3 * d * inner : 0;
        double head = d * Vocab;
        double active = c.Layers * (attnProj + routerMacs + expertMacs + sharedMacs) + head;
        double attention = c.Layers * 2 * d * (c.T + 1) / 2.0;
        double nexusStep = router == "nexus" ? c.Layers * e * (E2eConfig.DomainDim * 2 * d + d * d) / c.Tokens : 0;
        // Decoded positions Prompt .. Prompt + Decode - 1 attend to p + 1 keys: mean Prompt + (Decode + 1) / 2.
        double decodeCtx = E2eConfig.Prompt + (E2eConfig.Decode + 1) / 2.0;
        double decodeAttention = c.Layers * 2 * d * decodeCtx;
        double weightsRead = c.Layers * (attnProj + routerMacs + expertWeightsRead + sharedMacs) + head + d; // + embedding row
        double kvBytes = 4 * c.Layers * 2 * d * decodeCtx;
        return new FlopModel(active, attention, nexusStep, active, decodeAttention, 4 * weightsRead, kvBytes);
    }
}
