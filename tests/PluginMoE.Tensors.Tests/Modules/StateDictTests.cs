using static PluginMoE.Tensors.torch;

namespace PluginMoE.Tensors.Tests.Modules;

public class StateDictTests
{
    [Fact]
    public void StateDict_RoundTripIntoFreshModel_GivesIdenticalTensors()
    {
        var a = new TinyModel(seed: 1);
        var b = new TinyModel(seed: 2);
        Assert.NotEqual(a.state_dict()["head"].data<float>(), b.state_dict()["head"].data<float>());
        // Detached copies, as a checkpoint would hold them.
        var saved = a.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var result = b.load_state_dict(saved);
        Assert.Empty(result.missing_keys);
        Assert.Empty(result.unexpected_keys);
        foreach (var (k, v) in a.state_dict()) Assert.Equal(v.data<float>(), b.state_dict()[k].data<float>());
        // Values were copied in place: b's parameters are still b's own tensors and still trainable.
        Assert.All(b.parameters(), p => Assert.True(p.requires_grad && p.is_leaf));
        Assert.False(ReferenceEquals(a.state_dict()["head"].Storage, b.state_dict()["head"].Storage));
    }

    [Fact]
    public void StateDict_ValuesAreDetachedAndShareStorage()
    {
        var m = new TinyModel();
        var sd = m.state_dict();
        Assert.False(sd["head"].requires_grad);
        sd["norm.weight"].fill_(3);
        Assert.Equal(new float[] { 3, 3, 3, 3 }, m.named_parameters().Single(x => x.name == "norm.weight").parameter.data<float>());
    }

    [Fact]
    public void LoadStateDict_Strict_ListsAllMissingUnexpectedAndMismatchedKeysAtOnce()
    {
        var m = new TinyModel();
        var before = m.state_dict()["head"].data<float>();
        var sd = m.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        sd.Remove("norm.weight");
        sd.Remove("layers.1.proj.bias");
        sd["extra.weight"] = zeros(2);
        sd["layers.0.proj.weight"] = zeros(4, 8);
        sd["head"] = zeros(3, 3);
        var ex = Assert.Throws<ArgumentException>(() => m.load_state_dict(sd));
        Assert.Contains("Error(s) in loading state_dict for TinyModel", ex.Message);
        Assert.Contains("Missing key(s) in state_dict: \"layers.1.proj.bias\", \"norm.weight\".", ex.Message);
        Assert.Contains("Unexpected key(s) in state_dict: \"extra.weight\".", ex.Message);
        Assert.Contains("size mismatch for layers.0.proj.weight: checkpoint has [4, 8], model has [4, 4]", ex.Message);
        Assert.Contains("size mismatch for head: checkpoint has [3, 3], model has [10, 4]", ex.Message);
        // Nothing was copied.
        Assert.Equal(before, m.state_dict()["head"].data<float>());
    }

    [Fact]
    public void LoadStateDict_NotStrict_ReturnsMissingAndUnexpectedAndLoadsTheRest()
    {
        var src = new TinyModel(seed: 5);
        var dst = new TinyModel(seed: 6);
        var sd = src.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        sd.Remove("head");
        sd["lm_head.weight"] = zeros(1);
        var (missing, unexpected) = dst.load_state_dict(sd, strict: false);
        Assert.Equal(new[] { "head" }, missing);
        Assert.Equal(new[] { "lm_head.weight" }, unexpected);
        Assert.Equal(src.state_dict()["embed.weight"].data<float>(), dst.state_dict()["embed.weight"].data<float>());
        Assert.NotEqual(src.state_dict()["head"].data<float>(), dst.state_dict()["head"].data<float>());
    }

    [Fact]
    public void LoadStateDict_NotStrict_StillRejectsSizeMismatch()
    {
        var m = new torch.nn.Linear(3, 2);
        var ex = Assert.Throws<ArgumentException>(() => m.load_state_dict(new Dictionary<string, Tensor> { ["weight"] = zeros(3, 2) }, strict: false));
        Assert.Contains("size mismatch for weight: checkpoint has [3, 2], model has [2, 3]", ex.Message);
    }

    [Fact]
    public void LoadStateDict_Float64Checkpoint_ConvertsToModelType()
    {
        var m = new torch.nn.Linear(2, 1);
        m.load_state_dict(new Dictionary<string, Tensor>
        {
            ["weight"] = tensor(new[] { 0.25, -0.5 }, [1, 2]),
            ["bias"] = tensor(new[] { 1.5 }),
        });
        Assert.Equal(ScalarType.Float32, m.weight.dtype);
        Assert.Equal(new[] { 0.25f, -0.5f }, m.weight.data<float>());
        Assert.Equal(1.5f, m.bias!.item<float>());
    }
}
