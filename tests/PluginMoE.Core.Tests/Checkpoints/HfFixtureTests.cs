// Checkpoints written by tools/golden/hf_checkpoints.py (HF layouts, HF-style config.json, no checksum)
// load with the right config, and the model built from them gives the PyTorch reference logits.
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Model;
using PluginMoE.Tensors;
using PluginMoE.Tensors.Serialization;
using Xunit.Abstractions;
using static PluginMoE.Core.Tests.Checkpoints.CheckpointTestData;

namespace PluginMoE.Core.Tests.Checkpoints;

public sealed class HfFixtureTests(ITestOutputHelper output)
{
    private static string Folder(string name) => Path.Combine(AppContext.BaseDirectory, Fixtures, name);

    /// <summary>Loads fixture <paramref name="name"/>, runs its reference input, returns (ours, PyTorch's) logits.</summary>
    private static (float[] Ours, float[] Reference) Logits(string name)
    {
        var model = TransformerLM.FromCheckpoint(CheckpointStore.Load(Folder(name)), TestCatalog.Create());
        var reference = SafeTensors.Load(Path.Combine(AppContext.BaseDirectory, Fixtures, name + ".reference.safetensors"));
        Tensor logits;
        using (torch.no_grad()) logits = model.forward(reference["input_ids"]).Logits;
        Assert.Equal(reference["logits"].shape, logits.shape);
        return (logits.data<float>(), reference["logits"].data<float>());
    }

    private void AssertClose(float[] expected, float[] actual, double tol = 1e-4)
    {
        double worst = expected.Zip(actual, (e, a) => Math.Abs((double)e - a)).Max();
        output.WriteLine($"largest logit difference from PyTorch: {worst:G3}");
        Assert.True(worst <= tol, $"largest logit difference {worst:G3} exceeds {tol:G3}");
    }

    [Fact]
    public void LlamaFixture_LoadsWithTheConfigPyTorchWrote()
    {
        Assert.Equal(CheckpointLayout.Llama, CheckpointStore.DetectLayout(Folder("llama")));
        var c = CheckpointStore.Load(Folder("llama")).Config;
        Assert.Equal("V=256 d=32 I=64 L=2 H=4 KV=2 eps=1E-06 theta=10000 P=64 tied=False expert=swiglu eopts= dense", Describe(c));
    }

    [Fact]
    public void LlamaFixture_GivesThePyTorchReferenceLogits()
    {
        var (ours, reference) = Logits("llama");
        AssertClose(reference, ours);
    }

    [Fact]
    public void MixtralFixture_GivesThePyTorchReferenceLogits()
    {
        var (ours, reference) = Logits("mixtral");
        AssertClose(reference, ours);
    }

    [Fact]
    public void DeepSeekFixture_GivesThePyTorchReferenceLogits()
    {
        var (ours, reference) = Logits("deepseek");
        AssertClose(reference, ours);
    }

    [Fact]
    public void MixtralFixture_LoadsWithTheConfigPyTorchWrote()
    {
        var c = CheckpointStore.Load(Folder("mixtral")).Config;
        Assert.Equal("V=256 d=32 I=48 L=2 H=4 KV=2 eps=1E-05 theta=1000000 P=64 tied=False expert=swiglu eopts= " +
            "n=4 k=2 router=linear opts= shared= layers=[]all domains=[] lb=0.02 z=0", Describe(c));
    }

    [Fact]
    public void DeepSeekFixture_LoadsWithTheConfigPyTorchWrote()
    {
        var ckpt = CheckpointStore.Load(Folder("deepseek"));
        Assert.Equal("V=256 d=32 I=48 L=2 H=4 KV=2 eps=1E-06 theta=10000 P=64 tied=False expert=swiglu eopts= " +
            "n=4 k=2 router=linear opts= shared=48 layers=[1] domains=[] lb=0.001 z=0", Describe(ckpt.Config));
        // The file names no plugin: its gate (norm_topk_prob false) is in the form, and the router plugin supplies the options.
        Assert.Equal(new HuggingFaceForm { HiddenAct = "silu", RenormalizeTopK = false, RouterOptionsFromForm = true }, ckpt.HuggingFace);
        var model = TransformerLM.FromCheckpoint(ckpt, TestCatalog.Create());
        Assert.Equal("{\"Normalize\":\"softmax-topk\"}", model.Config.Moe!.RouterOptions!.ToJsonString());
    }

    [Fact]
    public void HfFixture_SavedAgainByPluginMoe_RoundTripsBitwiseInItsOwnLayout()
    {
        var scratch = new ScratchFolder();
        try
        {
            foreach (var (name, layout) in new[] { ("llama", CheckpointLayout.Llama), ("mixtral", CheckpointLayout.Mixtral), ("deepseek", CheckpointLayout.DeepSeekMoe) })
            {
                var ckpt = CheckpointStore.Load(Folder(name));
                Assert.Equal(layout, CheckpointStore.Save(scratch.Sub(name), ckpt));
                AssertBitwiseEqual(ckpt, CheckpointStore.Load(scratch.Sub(name)));
            }
        }
        finally { scratch.Dispose(); }
    }
}
