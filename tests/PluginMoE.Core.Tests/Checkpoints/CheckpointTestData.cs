// Shared helpers for the checkpoint tests: scratch folders, random checkpoints that match a config,
// bitwise tensor comparison and a structural view of ModelConfig (its record equality compares
// arrays and JSON objects by reference).
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Tensors;

namespace PluginMoE.Core.Tests.Checkpoints;

/// <summary>A fresh scratch folder per test, deleted afterwards.</summary>
public sealed class ScratchFolder : IDisposable
{
    public ScratchFolder() => Directory.CreateDirectory(Dir);

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "pluginmoe-ckpt-" + Guid.NewGuid().ToString("N"));

    public string Sub(string name) => Path.Combine(Dir, name);

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

internal static class CheckpointTestData
{
    public const string Fixtures = "Fixtures/hf";

    public static ModelConfig Dense(bool tied = false) => new()
    {
        VocabSize = 64, HiddenSize = 16, IntermediateSize = 24, NumHiddenLayers = 2,
        NumAttentionHeads = 4, NumKeyValueHeads = 2, RmsNormEps = 1e-6, RopeTheta = 5000,
        MaxPositionEmbeddings = 32, TieWordEmbeddings = tied,
    };

    public static ModelConfig Mixtral() => Dense() with
    {
        Moe = new MoeConfig { NumExperts = 4, TopK = 2, LoadBalanceWeight = 0.02, RouterZLossWeight = 0.001, Domains = ["code", "math", "web", "books"] },
    };

    /// <summary>DeepSeek-MoE: shared expert (two units wide), softmax-top-k without renormalisation, first layer dense.</summary>
    public static ModelConfig DeepSeek() => Dense() with
    {
        NumHiddenLayers = 3,
        Moe = new MoeConfig
        {
            NumExperts = 3, TopK = 2, SharedExpertIntermediateSize = 48, MoeLayers = [1, 2],
            RouterOptions = new JsonObject { ["Normalize"] = "softmax-topk", ["InitStd"] = 0.05 },
        },
    };

    /// <summary>What no HF layout holds: a non-linear router with its own tensors, GELU experts, domain embeddings.</summary>
    public static ModelConfig Nexus() => Dense() with
    {
        ExpertType = "gelu",
        Moe = new MoeConfig { NumExperts = 2, TopK = 1, Router = "nexus", RouterOptions = new JsonObject { ["ProjectionDim"] = 8 }, Domains = ["a", "b"], LoadBalanceWeight = 0.05 },
    };

    /// <summary>
    /// The Hugging Face form a model of <paramref name="c"/> built from the first-party plugins reports (what
    /// TransformerLM.DescribeHuggingFace gives): SwiGLU experts are silu Llama MLPs, the linear router a gate.
    /// </summary>
    public static HuggingFaceForm FormOf(ModelConfig c)
    {
        bool swiglu = c.ExpertType == "swiglu";
        bool? renormalize = c.Moe is { Router: "linear" } m
            ? !string.Equals((string?)m.RouterOptions?["Normalize"], "softmax-topk", StringComparison.Ordinal)
            : null;
        return new HuggingFaceForm
        {
            HiddenAct = swiglu ? "silu" : null,
            FfnObstacle = swiglu ? null : $"layer 0's FFN ('{c.ExpertType}' expert) is not a Hugging Face Llama MLP",
            RenormalizeTopK = renormalize,
            RouterObstacle = c.Moe is not null && renormalize is null ? $"layer 0's router ('{c.Moe.Router}') is not a Hugging Face linear gate" : null,
        };
    }

    /// <summary>Random tensors under the canonical names the config implies (plus <paramref name="extra"/>), with the config's form.</summary>
    public static ModelCheckpoint Random(ModelConfig c, int seed = 1, IReadOnlyDictionary<string, long[]>? extra = null)
    {
        var g = new Generator(seed);
        var tensors = new Dictionary<string, Tensor>();
        var form = FormOf(c);
        foreach (var (name, shape) in TensorSchema.For(c, CheckpointLayout.Llama, form).Exact.Concat(extra ?? new Dictionary<string, long[]>()))
            tensors[name] = torch.randn(shape, ScalarType.Float32, g);
        return new ModelCheckpoint(c, tensors) { HuggingFace = form };
    }

    /// <summary>The Nexus checkpoint: router tensors, GELU expert tensors and domain embeddings by hand.</summary>
    public static ModelCheckpoint RandomNexus()
    {
        var c = Nexus();
        var extra = new Dictionary<string, long[]> { [CanonicalNames.DomainEmbeddings] = [2, 8] };
        for (int i = 0; i < c.NumHiddenLayers; i++)
        {
            extra[CanonicalNames.Router(i) + "hypernet.0.weight"] = [8, 8];
            extra[CanonicalNames.Router(i) + "proj.weight"] = [8, 16];
            for (int j = 0; j < 2; j++)
            {
                extra[CanonicalNames.Expert(i, j) + "up_proj.weight"] = [24, 16];
                extra[CanonicalNames.Expert(i, j) + "down_proj.weight"] = [16, 24];
            }
        }
        return Random(c, 7, extra);
    }

    public static void AssertBitwiseEqual(ModelCheckpoint expected, ModelCheckpoint actual)
    {
        Assert.Equal(expected.Tensors.Keys.Order(StringComparer.Ordinal), actual.Tensors.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, e) in expected.Tensors)
        {
            var a = actual.Tensors[name];
            Assert.Equal(e.dtype, a.dtype);
            Assert.Equal(e.shape, a.shape);
            Assert.True(e.data<float>().Select(BitConverter.SingleToInt32Bits).SequenceEqual(a.data<float>().Select(BitConverter.SingleToInt32Bits)), $"tensor {name} differs");
        }
        Assert.Equal(Describe(expected.Config), Describe(actual.Config));
    }

    /// <summary>Every field of a config as text (arrays and JSON objects by content).</summary>
    public static string Describe(ModelConfig c)
    {
        var m = c.Moe;
        var moe = m is null ? "dense" :
            $"n={m.NumExperts} k={m.TopK} router={m.Router} opts={m.RouterOptions?.ToJsonString()} shared={m.SharedExpertIntermediateSize} " +
            $"layers=[{string.Join(",", m.MoeLayers ?? [])}]{(m.MoeLayers is null ? "all" : "")} domains=[{string.Join(",", m.Domains)}] lb={m.LoadBalanceWeight:R} z={m.RouterZLossWeight:R}";
        return $"V={c.VocabSize} d={c.HiddenSize} I={c.IntermediateSize} L={c.NumHiddenLayers} H={c.NumAttentionHeads} KV={c.NumKeyValueHeads} " +
            $"eps={c.RmsNormEps:R} theta={c.RopeTheta:R} P={c.MaxPositionEmbeddings} tied={c.TieWordEmbeddings} expert={c.ExpertType} " +
            $"eopts={c.ExpertOptions?.ToJsonString()} {moe}";
    }
}
