// Tiny models and options shared by the trainer tests.
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Core.Model;
using PluginMoE.Core.Data;
using PluginMoE.Core.Training;
using PluginMoE.Tensors;

namespace PluginMoE.Core.Tests.Training;

internal static class TrainingFixtures
{
    public static readonly ModelConfig Dense = new()
    {
        VocabSize = 256, HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 2,
        NumAttentionHeads = 4, NumKeyValueHeads = 2, MaxPositionEmbeddings = 64,
    };

    public static readonly ModelConfig Moe = Dense with
    {
        IntermediateSize = 32,
        Moe = new MoeConfig { NumExperts = 4, TopK = 2, Router = "linear", LoadBalanceWeight = 0.01 },
    };

    public static TransformerLM Build(ModelConfig config, long seed = 1) => new(config, TestCatalog.Create(), new Generator(seed));

    public static TrainerOptions Options(long steps) => new()
    {
        Steps = steps, BatchSize = 4, SequenceLength = 32, LearningRate = 3e-3, WarmupSteps = 2,
        WeightDecay = 0.1, GradientClipNorm = 1.0, Seed = 7, EvalBatchSize = 32,
    };

    public static Dictionary<string, float[]> Snapshot(TransformerLM model) =>
        model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().contiguous().data<float>());

    public static TokenCorpus SyntheticCorpus() => TokenCorpus.FromStreams(new Dictionary<string, int[]>
    {
        ["a"] = [.. Enumerable.Range(0, 3000).Select(i => (i * 7 + i / 13) % 97)],
        ["b"] = [.. Enumerable.Range(0, 2000).Select(i => 100 + (i * i) % 50)],
    });
}
