using static PluginMoE.Tensors.torch;

namespace PluginMoE.Tensors.Tests.Modules;

public class ModuleTests
{
    [Fact]
    public void NamedParameters_NestedModel_DottedNamesInRegistrationOrder()
    {
        var m = new TinyModel();
        var names = m.named_parameters().Select(x => x.name).ToArray();
        Assert.Equal(new[]
        {
            "head", "embed.weight",
            "layers.0.scale", "layers.0.proj.weight", "layers.0.proj.bias",
            "layers.1.scale", "layers.1.proj.weight", "layers.1.proj.bias",
            "norm.weight",
        }, names);
        Assert.Equal(new[] { "head" }, m.named_parameters(recurse: false).Select(x => x.name));
    }

    [Fact]
    public void NamedModules_NestedModel_PreorderWithEmptyRootName()
    {
        var m = new TinyModel();
        Assert.Equal(new[] { "", "embed", "layers", "layers.0", "layers.0.proj", "layers.1", "layers.1.proj", "norm" },
            m.named_modules().Select(x => x.name));
        Assert.Equal(new[] { "embed", "layers", "norm" }, m.named_children().Select(x => x.name));
        Assert.Equal(3, m.children().Count());
        Assert.Equal(8, m.modules().Count());
    }

    [Fact]
    public void NamedBuffers_IncludeNonPersistent_StateDictExcludesThem()
    {
        var m = new TinyModel();
        Assert.Equal(new[] { "layers.0.inv_freq", "layers.0.cache", "layers.1.inv_freq", "layers.1.cache" }, m.named_buffers().Select(x => x.name));
        var keys = m.state_dict().Keys.ToArray();
        Assert.Contains("layers.0.inv_freq", keys);
        Assert.DoesNotContain("layers.0.cache", keys);
        // state_dict order: own params, own buffers, then children
        Assert.Equal(new[]
        {
            "head", "embed.weight",
            "layers.0.scale", "layers.0.inv_freq", "layers.0.proj.weight", "layers.0.proj.bias",
            "layers.1.scale", "layers.1.inv_freq", "layers.1.proj.weight", "layers.1.proj.bias",
            "norm.weight",
        }, keys);
    }

    [Fact]
    public void NamedParameters_TiedWeight_ListedOnceButStateDictHasBothNames()
    {
        var a = new torch.nn.Linear(3, 3, bias: false);
        var seq = new torch.nn.Sequential().append(a).append(a);
        Assert.Single(seq.parameters());
        Assert.Equal(new[] { "0.weight" }, seq.named_parameters().Select(x => x.name));
        Assert.Equal(new[] { "0.weight", "1.weight" }, seq.state_dict().Keys);
    }

    [Fact]
    public void Train_Eval_PropagatesToAllDescendants()
    {
        var m = new TinyModel();
        Assert.All(m.modules(), x => Assert.True(x.training));
        m.eval();
        Assert.All(m.modules(), x => Assert.False(x.training));
        m.Layers[1].train();
        Assert.False(m.training);
        Assert.True(m.Layers[1].proj.training);
        m.train();
        Assert.All(m.modules(), x => Assert.True(x.training));
    }

    [Fact]
    public void Dropout_InEval_IsIdentity()
    {
        var d = new torch.nn.Dropout(0.3);
        d.eval();
        var x = randn(4, 5);
        Assert.Same(x, d.call(x));
        Assert.Throws<ArgumentOutOfRangeException>(() => new torch.nn.Dropout(1.5));
    }

    [Fact]
    public void ZeroGrad_SetToNoneOrZeros()
    {
        var m = new TinyModel();
        foreach (var p in m.parameters()) p.grad = ones_like(p);
        m.zero_grad(set_to_none: false);
        Assert.All(m.parameters(), p => Assert.All(p.grad!.data<float>(), v => Assert.Equal(0f, v)));
        m.zero_grad();
        Assert.All(m.parameters(), p => Assert.Null(p.grad));
    }

    [Fact]
    public void Apply_VisitsChildrenBeforeParent()
    {
        var m = new TinyModel();
        var order = new List<string>();
        m.apply(x => order.Add(x.GetType().Name));
        Assert.Equal(new[] { "Embedding", "Linear", "Block", "Linear", "Block", "ModuleList`1", "RMSNorm", "TinyModel" }, order);
    }

    [Fact]
    public void NumParameters_CountsElementsAndTrainableOnly()
    {
        var m = new TinyModel(vocab: 10, dim: 4, layers: 2);
        long expected = 40 + 40 + 2 * (4 + 16 + 4) + 4;
        Assert.Equal(expected, m.num_parameters());
        m.Layers[0].scale.requires_grad = false;
        Assert.Equal(expected - 4, m.num_parameters(only_trainable: true));
    }

    [Fact]
    public void ToString_PrintsTreePyTorchStyle()
    {
        var m = new torch.nn.Sequential(new torch.nn.Linear(4, 3), new torch.nn.Identity());
        Assert.Equal("Sequential(\n  (0): Linear(in_features=4, out_features=3, bias=True)\n  (1): Identity()\n)", m.ToString());
        var list = new torch.nn.ModuleList(new torch.nn.Sequential(new torch.nn.Dropout(0.1)));
        Assert.Equal("ModuleList(\n  (0): Sequential(\n    (0): Dropout(p=0.1)\n  )\n)", list.ToString());
        Assert.Equal("RMSNorm((8,), eps=1E-06, elementwise_affine=True)", new torch.nn.RMSNorm(8).ToString());
    }

    [Fact]
    public void ModuleList_InsertAndRemove_RenumbersChildren()
    {
        var a = new torch.nn.Identity();
        var b = new torch.nn.Linear(2, 2);
        var c = new torch.nn.Linear(2, 3, bias: false);
        var list = new torch.nn.ModuleList(a, b);
        list.Insert(0, c);
        Assert.Equal(new[] { "0.weight", "2.weight", "2.bias" }, list.named_parameters().Select(x => x.name));
        list.RemoveAt(0);
        Assert.Equal(new[] { "1.weight", "1.bias" }, list.named_parameters().Select(x => x.name));
        Assert.Same(b, list[-1]);
        Assert.Equal(2, list.Count);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => list[5]);
        Assert.Contains("out of range for a list of 2 modules", ex.Message);
    }

    [Fact]
    public void ModuleDict_KeysAreChildNames()
    {
        var d = new torch.nn.ModuleDict(("q", new torch.nn.Linear(2, 2, bias: false)), ("k", new torch.nn.Linear(2, 2, bias: false)));
        Assert.Equal(new[] { "q.weight", "k.weight" }, d.named_parameters().Select(x => x.name));
        d.Remove("q");
        Assert.Equal(new[] { "k.weight" }, d.state_dict().Keys);
        Assert.Throws<ArgumentException>(() => d.Add("k", new torch.nn.Identity()));
        var ex = Assert.Throws<KeyNotFoundException>(() => d["v"]);
        Assert.Contains("have: k", ex.Message);
    }

    [Fact]
    public void Registration_BadNames_FailWithReason()
    {
        var m = new Block(2, new Generator(0));
        Assert.Contains("must not contain '.'", Assert.Throws<ArgumentException>(() => m.register_parameter("a.b", null)).Message);
        Assert.Contains("already exists", Assert.Throws<ArgumentException>(() => m.register_buffer("proj", zeros(1))).Message);
        Assert.Contains("must not be empty", Assert.Throws<ArgumentException>(() => m.register_module("", new torch.nn.Identity())).Message);
    }

    [Fact]
    public void Parameter_SharesStorageAndIsTrainableLeaf()
    {
        var t = tensor(new float[] { 1, 2, 3 });
        var p = new torch.nn.Parameter(t);
        Assert.True(p.requires_grad);
        Assert.True(p.is_leaf);
        using (no_grad()) p.fill_(7);
        Assert.Equal(new float[] { 7, 7, 7 }, t.data<float>());
        Assert.False(new torch.nn.Parameter(t, requires_grad: false).requires_grad);
        Assert.Throws<ArgumentException>(() => new torch.nn.Parameter(tensor(new long[] { 1 })));
        (p * 2.0).sum().backward();
        Assert.Equal(new float[] { 2, 2, 2 }, p.grad!.data<float>());
    }

    [Fact]
    public void Layers_ExposeShapesAndOptionalParameters()
    {
        var lin = new torch.nn.Linear(5, 3, bias: false);
        Assert.Equal(new long[] { 3, 5 }, lin.weight.shape);
        Assert.Null(lin.bias);
        Assert.Equal(new[] { "weight" }, lin.named_parameters().Select(x => x.name));
        var ln = new torch.nn.LayerNorm([2, 3], bias: false);
        Assert.Equal(new[] { "weight" }, ln.named_parameters().Select(x => x.name));
        Assert.Empty(new torch.nn.LayerNorm(3, elementwise_affine: false).parameters());
        Assert.Empty(new torch.nn.RMSNorm(3, elementwise_affine: false).parameters());
        Assert.Equal(new float[] { 0, 0, 0, 0 }, new torch.nn.LayerNorm(4).bias!.data<float>());
        Assert.Throws<ArgumentException>(() => new torch.nn.RMSNorm(Array.Empty<long>()));
        var emb = new torch.nn.Embedding(6, 3, padding_idx: -1);
        Assert.Equal(5, emb.padding_idx);
        Assert.Equal(new float[] { 0, 0, 0 }, emb.weight[5].data<float>());
        Assert.Throws<ArgumentException>(() => new torch.nn.Embedding(6, 3, padding_idx: 6));
    }
}
