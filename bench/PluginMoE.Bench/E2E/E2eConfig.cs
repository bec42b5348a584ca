// The end-to-end suite's models (tiny and small MoE LMs of issue #12) and routers, shared by the three workers
// (PluginMoE, TorchSharp; tools/bench/torch_reference.py mirrors the same table for PyTorch).
namespace PluginMoE.Bench.E2E;

/// <summary>
/// One model size: width d, layers, attention heads, routed experts, sequence length T and batch B. Every model has a
/// byte vocabulary (256), top-2 routing, SwiGLU experts of inner width 4d, RMSNorm, RoPE attention and an untied head.
/// </summary>
internal sealed record E2eConfig(string Name, int D, int Layers, int Heads, int Experts, int T, int B)
{
    /// <summary>Experts per token.</summary>
    public const int TopK = 2;

    /// <summary>Sub-tokens per token of the multi-head router.</summary>
    public const int MhHeads = 4;

    /// <summary>Domain-embedding width m of the Nexus router (the tfidf embedder's default Dim).</summary>
    public const int DomainDim = 256;

    /// <summary>Prompt tokens, then tokens decoded one at a time with the KV cache, per decode call.</summary>
    public const int Prompt = 32, Decode = 32;

    /// <summary>The two sizes of issue #12.</summary>
    public static readonly E2eConfig[] All = [new("tiny", 128, 2, 4, 4, 128, 8), new("small", 256, 4, 8, 8, 256, 8)];

    /// <summary>
    /// The routers: <c>linear</c> (top-2, softmax over the kept logits); <c>nexus</c> as the recipe's nexus merge builds it
    /// (shared expert of inner 4d, hypernetwork E = W2 SwiGLU(W1 d_i) recomputed every training forward from fixed
    /// (n, 256) domain embeddings, gates = the chosen softmax probabilities, not renormalised; the frozen form, a linear
    /// router with weight E, for prefill and decode); <c>multi-head</c>: h = 4 sub-tokens of width d/4 routed by the
    /// xmoe router (paper form: cosine in a routing dimension of 16 over a learned temperature) to experts of width d/4
    /// and inner 4d (the same expert FLOPs per token as the others), with the d x d head and merge projections.
    /// </summary>
    public static readonly string[] Routers = ["linear", "nexus", "multi-head"];

    /// <summary>
    /// A PluginMoE-only case beside <c>nexus</c>: the linear router with nexus's shared expert (inner 4d), so that the
    /// end-to-end nexus/linear step ratio can be read like for like (the router's share, without the shared expert's).
    /// </summary>
    public const string LinearShared = "linear+shared";

    /// <summary>The config named <paramref name="name"/>, or an error listing the names.</summary>
    public static E2eConfig Find(string name) => All.FirstOrDefault(c => c.Name == name)
        ?? throw new ArgumentException($"unknown model '{name}'; models: {string.Join(", ", All.Select(c => c.Name))}");

    /// <summary>Tokens of one training step or prefill.</summary>
    public int Tokens => B * T;
}
