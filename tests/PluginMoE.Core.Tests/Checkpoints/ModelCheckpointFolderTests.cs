// A TransformerLM saved to a folder and built again from it gives bitwise the same logits, in the layout
// Auto picks for it (the checkpoint store and the model agree on canonical names).
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Model;
using PluginMoE.Tensors;
using static PluginMoE.Core.Tests.Checkpoints.CheckpointTestData;

namespace PluginMoE.Core.Tests.Checkpoints;

public sealed class ModelCheckpointFolderTests : IDisposable
{
    private readonly ScratchFolder _scratch = new();

    public void Dispose() => _scratch.Dispose();

    public static TheoryData<string, CheckpointLayout> Models => new()
    {
        { "dense", CheckpointLayout.Llama },
        { "mixtral", CheckpointLayout.Mixtral },
        { "deepseek", CheckpointLayout.DeepSeekMoe },
    };

    [Theory, MemberData(nameof(Models))]
    public void ModelSavedAndLoaded_GivesBitwiseTheSameLogits(string name, CheckpointLayout layout)
    {
        ModelConfig config = name switch { "dense" => Dense(), "mixtral" => Mixtral(), _ => DeepSeek() };
        var model = new TransformerLM(config, TestCatalog.Create(), new Generator(3));
        var dir = _scratch.Sub(name);
        Assert.Equal(layout, CheckpointStore.Save(dir, model.ToCheckpoint()));
        var loaded = TransformerLM.FromCheckpoint(CheckpointStore.Load(dir), TestCatalog.Create());

        var ids = torch.randint(0, config.VocabSize, [2, 5], generator: new Generator(4));
        using var _ = torch.no_grad();
        var expected = model.forward(ids).Logits.data<float>();
        var actual = loaded.forward(ids).Logits.data<float>();
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
    }
}
