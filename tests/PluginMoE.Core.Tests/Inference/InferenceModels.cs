// Small models and reference computations shared by the inference tests: dense (multi-head, grouped-query,
// multi-query) and MoE configs, and a last-position logits helper that runs the full, cache-free forward.
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Core.Model;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Tests.Inference;

internal static class InferenceModels
{
    public static readonly ModelConfig Dense = new()
    {
        VocabSize = 256, HiddenSize = 32, IntermediateSize = 48, NumHiddenLayers = 2,
        NumAttentionHeads = 4, NumKeyValueHeads = 4, MaxPositionEmbeddings = 24,
    };

    public static readonly ModelConfig GroupedQuery = Dense with { NumKeyValueHeads = 2, TieWordEmbeddings = true };

    public static readonly ModelConfig MultiQuery = Dense with { NumKeyValueHeads = 1 };

    public static readonly ModelConfig MoeModel = Dense with
    {
        NumHiddenLayers = 3, NumKeyValueHeads = 2,
        Moe = new MoeConfig { NumExperts = 4, TopK = 2, MoeLayers = [0, 2], SharedExpertIntermediateSize = 16 },
    };

    public static TheoryData<string> ConfigNames => ["dense", "gqa", "mqa", "moe"];

    public static ModelConfig ByName(string name) => name switch
    {
        "dense" => Dense,
        "gqa" => GroupedQuery,
        "mqa" => MultiQuery,
        "moe" => MoeModel,
        _ => throw new ArgumentException(name),
    };

    public static TransformerLM Build(ModelConfig config, ScalarType dtype = ScalarType.Float32, long seed = 3)
    {
        var model = new TransformerLM(config, TestCatalog.Create(), new Generator(seed), dtype);
        model.eval();
        return model;
    }

    /// <summary>Full forward over <paramref name="tokens"/> (no cache); the last position's logits as float64.</summary>
    public static double[] FullLastLogits(TransformerLM model, IReadOnlyList<int> tokens)
    {
        using var _ = no_grad();
        var ids = tensor(tokens.Select(t => (long)t).ToArray(), [1, tokens.Count]);
        var logits = model.forward(ids).Logits;                           // (1, T, V)
        return logits[0][tokens.Count - 1].to(ScalarType.Float64).data<double>();
    }

    /// <summary>log softmax of one row, in float64.</summary>
    public static double[] LogSoftmax(double[] logits)
    {
        double max = logits.Max();
        double lse = max + Math.Log(logits.Sum(l => Math.Exp(l - max)));
        return [.. logits.Select(l => l - lse)];
    }

    /// <summary>Deterministic pseudo-random ids in [0, vocab).</summary>
    public static int[] Tokens(int count, int vocab, long seed) =>
        [.. randint(0, vocab, [count], generator: new Generator(seed)).data<long>().Select(t => (int)t)];
}
