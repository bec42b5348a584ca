// LibTorch memory and PluginMoE's dispose scopes: a torch-cpu storage belongs to the innermost scope when it is
// created and is freed when the scope ends (counted by TorchStorage.LiveCount); a tensor moved out or detached
// survives; a released storage is never reachable through a live tensor (using one throws); and a scoped training
// loop on torch-cpu leaves the number of live LibTorch storages flat from step to step (gradients that zero_grad()
// drops are left to the garbage collector, as on cpu).
using System.Text;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Model;
using PluginMoE.Plugins.Experts;
using PluginMoE.Plugins.Routers;
using static PluginMoE.Tensors.Torch.Tests.TorchTestSupport;

namespace PluginMoE.Tensors.Torch.Tests;

public sealed class TorchDisposeScopeTests : IDisposable
{
    public void Dispose() => torch.set_default_device(Device.CPU);

    [Fact]
    public void ScopeReleasesTheLibTorchStoragesCreatedInside()
    {
        var x = torch.randn([32, 32], generator: new Generator(3)).to(TorchCpu);
        Assert.IsType<TorchStorage>(x.Storage);
        GC.Collect();
        GC.WaitForPendingFinalizers(); // earlier tests' dropped storages are counted down now, not during this test
        long before = TorchStorage.LiveCount;
        Tensor temp, product, kept, detached;
        using (var scope = torch.NewDisposeScope())
        {
            temp = (x * 2).relu();
            product = torch.matmul(temp, x);
            kept = (product + 1).MoveToOuterDisposeScope();
            detached = product.sum().DetachFromDisposeScope();
            Assert.True(scope.Count >= 3, $"{scope.Count} storages in the scope"); // x * 2, temp, product (and kernel temporaries)
            Assert.Equal(before + 2 + scope.Count, TorchStorage.LiveCount);        // kept and detached left the scope
        }
        Assert.Equal(before + 2, TorchStorage.LiveCount);      // only kept and detached remain
        Assert.True(temp.Storage.IsReleased);
        Assert.True(product.Storage.IsReleased);
        Assert.False(kept.Storage.IsReleased);
        var e = Assert.Throws<InvalidOperationException>(() => temp.to(Device.CPU));
        Assert.Contains("memory was released", e.Message);
        Assert.Throws<InvalidOperationException>(() => product.narrow(0, 0, 2).sum()); // a view of a released storage fails too
        using (torch.NewDisposeScope()) // reading values back creates temporaries of its own
        {
            var expected = (torch.matmul((x.to(Device.CPU) * 2).relu(), x.to(Device.CPU)) + 1).data<float>();
            Assert.Equal(expected, kept.to(Device.CPU).data<float>());
            Assert.Equal(expected.Sum() - expected.Length, detached.ToDouble(), 1e-4 * Math.Abs(expected.Sum()));
        }
        kept.Storage.Release();
        detached.Storage.Release();
        Assert.Equal(before, TorchStorage.LiveCount);
    }

    [Fact]
    public void NestedScopesReleaseInnermostFirstAndMoveToTheOuterScope()
    {
        var x = torch.ones([8]).to(TorchCpu);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = TorchStorage.LiveCount;
        using (torch.NewDisposeScope())
        {
            Tensor moved;
            using (torch.NewDisposeScope())
            {
                _ = x + 1;
                moved = (x * 3).MoveToOuterDisposeScope();
            }
            Assert.Equal(before + 1, TorchStorage.LiveCount);
            Assert.Equal(3f, moved.to(Device.CPU).data<float>()[0]); // any torch temporary of the read belongs to the outer scope
        }
        Assert.Equal(before, TorchStorage.LiveCount); // the outer scope released the moved tensor
    }

    [Fact]
    public void ScopedTrainingStepsOnTorchCpuLeaveNoGarbageAndNoReleasedStateBehind()
    {
        torch.set_default_device(TorchCpu);
        var config = new ModelConfig
        {
            HiddenSize = 32, IntermediateSize = 48, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, MaxPositionEmbeddings = 32,
            Moe = new MoeConfig { NumExperts = 4, TopK = 2, MoeLayers = [1] },
        };
        var catalog = new ComponentCatalog().AddRouter("linear", new LinearRouterFactory()).AddExpert("swiglu", new SwiGluExpertFactory());
        var model = new TransformerLM(config, catalog, new Generator(1));
        var bytes = Encoding.UTF8.GetBytes("the quick brown fox jumps over the lazy dog. ");
        var data = Enumerable.Range(0, 4 * 17).Select(i => (long)bytes[i % bytes.Length]).ToArray();
        var x = torch.tensor(data, [4, 17]).narrow(1, 0, 16);
        var y = torch.tensor(data, [4, 17]).narrow(1, 1, 16).reshape(-1);
        var optimizer = new torch.optim.AdamW(model.parameters(), lr: 1e-2);
        var live = new List<long>();
        var losses = new List<double>();
        for (int step = 0; step < 4; step++)
        {
            using (torch.NewDisposeScope())
            {
                optimizer.zero_grad();
                var o = model.forward(x);
                var lm = torch.nn.functional.cross_entropy(o.Logits.reshape(-1, 256), y);
                (lm + o.AuxLoss).backward();
                optimizer.step();
                losses.Add(lm.ToDouble());
            }
            // zero_grad() drops last step's gradients (set_to_none, as in PyTorch) without releasing them: like dropped cpu
            // arrays they are the garbage collector's, so count after a collection.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            live.Add(TorchStorage.LiveCount);
            foreach (var (name, p) in model.named_parameters())
            {
                Assert.False(p.Storage.IsReleased, $"step {step}: parameter {name} was released");
                Assert.False(p.grad?.Storage.IsReleased ?? false, $"step {step}: the gradient of {name} was released");
            }
        }
        // After the first step (which creates the optimizer state and the gradients), nothing accumulates.
        Assert.Equal(live[1], live[2]);
        Assert.Equal(live[1], live[3]);
        Assert.True(losses[^1] < losses[0], $"loss {losses[0]} -> {losses[^1]}");
    }
}
