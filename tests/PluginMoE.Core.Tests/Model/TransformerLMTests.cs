// TransformerLM: shapes, causality, weight tying, determinism, parameter counts and config errors.
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Core.Model;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Tests.Model;

public class TransformerLMTests
{
    internal static readonly ModelConfig Tiny = new()
    {
        VocabSize = 32, HiddenSize = 16, IntermediateSize = 24, NumHiddenLayers = 2,
        NumAttentionHeads = 4, NumKeyValueHeads = 2, MaxPositionEmbeddings = 16,
    };

    private static TransformerLM Build(ModelConfig config, long seed = 1) => new(config, TestCatalog.Create(), new Generator(seed));

    private static Tensor Ids(long b, long t, long vocab, long seed) => randint(0, vocab, [b, t], generator: new Generator(seed));

    [Fact]
    public void Forward_DenseModel_GivesLogitsOfBatchTimeVocabAndZeroAuxLoss()
    {
        var model = Build(Tiny);
        var output = model.forward(Ids(3, 7, Tiny.VocabSize, 5));
        Assert.Equal([3L, 7, 32], output.Logits.shape);
        Assert.Empty(output.AuxLoss.shape);
        Assert.Equal(0.0, output.AuxLoss.ToDouble());
        Assert.Empty(output.Routing);
        Assert.True(output.Logits.isfinite().all().item<bool>());
    }

    [Fact]
    public void Forward_ChangingAFutureToken_LeavesEarlierLogitsUnchanged()
    {
        var model = Build(Tiny);
        var ids = Ids(2, 9, Tiny.VocabSize, 6);
        var changed = ids.clone();
        changed[1][6].fill_((ids[1][6].ToInt64() + 1) % Tiny.VocabSize);
        var a = model.forward(ids).Logits;
        var b = model.forward(changed).Logits;
        Assert.Equal(a.narrow(1, 0, 6).data<float>(), b.narrow(1, 0, 6).data<float>());
        Assert.NotEqual(a[1].narrow(0, 6, 1).data<float>(), b[1].narrow(0, 6, 1).data<float>());
        Assert.Equal(a[0].data<float>(), b[0].data<float>()); // the other row is untouched
    }

    [Fact]
    public void Constructor_TiedEmbeddings_SharesOneTensorAndOmitsLmHead()
    {
        var model = Build(Tiny with { TieWordEmbeddings = true });
        Assert.Same(model.EmbeddingWeight, model.HeadWeight);
        Assert.DoesNotContain("lm_head.weight", model.state_dict().Keys);
        var untied = Build(Tiny);
        Assert.Contains("lm_head.weight", untied.state_dict().Keys);
        Assert.Equal(untied.CountParameters().Total - 32 * 16, model.CountParameters().Total);
    }

    [Fact]
    public void StateDict_DenseModel_UsesTheLlamaNames()
    {
        var keys = Build(Tiny).state_dict().Keys.ToList();
        string[] layer0 =
        [
            "model.layers.0.input_layernorm.weight", "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight",
            "model.layers.0.self_attn.v_proj.weight", "model.layers.0.self_attn.o_proj.weight", "model.layers.0.post_attention_layernorm.weight",
            "model.layers.0.mlp.gate_proj.weight", "model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.down_proj.weight",
        ];
        Assert.Equal(["model.embed_tokens.weight", .. layer0], keys.Take(10));
        Assert.Equal(["model.norm.weight", "lm_head.weight"], keys.TakeLast(2));
        Assert.Equal(1 + 2 * 9 + 2, keys.Count);
    }

    [Fact]
    public void CountParameters_DenseModel_MatchesHandCount()
    {
        // embed 32*16, per layer: 2 norms 2*16, q 16*16, k and v 8*16 each (2 kv heads of width 4), o 16*16, mlp 3*16*24; norm 16; head 32*16.
        long layer = 2 * 16 + 16 * 16 + 2 * 8 * 16 + 16 * 16 + 3 * 16 * 24;
        long expected = 32 * 16 + 2 * layer + 16 + 32 * 16;
        var counts = Build(Tiny).CountParameters();
        Assert.Equal(new ParameterCounts(expected, expected, expected), counts);
    }

    [Fact]
    public void Constructor_SameSeed_GivesBitwiseSameWeights()
    {
        var a = Build(Tiny, seed: 3).state_dict();
        var b = Build(Tiny, seed: 3).state_dict();
        var c = Build(Tiny, seed: 4).state_dict();
        foreach (var key in a.Keys) Assert.Equal(a[key].data<float>(), b[key].data<float>());
        Assert.NotEqual(a["model.embed_tokens.weight"].data<float>(), c["model.embed_tokens.weight"].data<float>());
    }

    [Fact]
    public void Checkpoint_RoundTrip_GivesTheSameLogits()
    {
        var model = Build(Tiny);
        var copy = TransformerLM.FromCheckpoint(model.ToCheckpoint(), TestCatalog.Create());
        var ids = Ids(2, 5, Tiny.VocabSize, 8);
        Assert.Equal(model.forward(ids).Logits.data<float>(), copy.forward(ids).Logits.data<float>());
    }

    [Fact]
    public void FromCheckpoint_WrongNamesAndShapes_ListsEveryProblem()
    {
        var checkpoint = Build(Tiny).ToCheckpoint();
        var tensors = new Dictionary<string, Tensor>(checkpoint.Tensors);
        tensors.Remove("model.norm.weight");
        tensors["model.layers.9.extra.weight"] = zeros(2);
        tensors["model.layers.0.mlp.up_proj.weight"] = zeros(5, 16);
        var e = Assert.Throws<InvalidDataException>(() => TransformerLM.FromCheckpoint(checkpoint with { Tensors = tensors }, TestCatalog.Create()));
        Assert.Contains("missing tensors (1): model.norm.weight", e.Message);
        Assert.Contains("unexpected tensors (1): model.layers.9.extra.weight", e.Message);
        Assert.Contains("model.layers.0.mlp.up_proj.weight: checkpoint (5, 16), model (24, 16)", e.Message);
    }

    [Fact]
    public void Constructor_HeadsNotDividingWidth_NamesBothConfigValues()
    {
        var e = Assert.Throws<ArgumentException>(() => Build(Tiny with { NumAttentionHeads = 3, NumKeyValueHeads = 3 }));
        Assert.Contains("HiddenSize: value 16 is not allowed: must be a multiple of NumAttentionHeads (3)", e.Message);
    }

    [Fact]
    public void Forward_SequenceLongerThanContext_SaysWhatTheLimitIs()
    {
        var e = Assert.Throws<ArgumentException>(() => Build(Tiny).forward(Ids(1, 17, 32, 1)));
        Assert.Contains("sequence length 17 exceeds MaxPositionEmbeddings (16)", e.Message);
    }
}
