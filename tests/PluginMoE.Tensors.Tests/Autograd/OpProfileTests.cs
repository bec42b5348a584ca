// Tests for the op-level profiler (Autograd/OpProfile.cs): which keys a profiled training step records (forward op,
// backward rule, engine, optimizer), per-step division in the JSON, and nothing recorded while it is off.
using PluginMoE.Tensors.Autograd;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Tensors.Tests.Autograd;

[Collection(nameof(OpProfileTests))] // one static profiler: these tests do not run in parallel with each other
public class OpProfileTests
{
    private static void TrainStep(Tensor w, torch.optim.Optimizer opt)
    {
        opt.zero_grad();
        var x = randn([4, 3], generator: new Generator(1));
        var loss = (x.matmul(w).sigmoid() * 2).sum();
        loss.backward();
        opt.step();
    }

    [Fact]
    public void ProfiledSteps_RecordForwardBackwardEngineAndOptimizerKeys()
    {
        var w = randn([3, 2], generator: new Generator(2)).requires_grad_();
        var opt = new torch.optim.AdamW([w]);
        bool was = OpProfile.Enabled;
        try
        {
            OpProfile.Reset();
            OpProfile.Enabled = true;
            OpProfile.Mark();
            TrainStep(w, opt);
            TrainStep(w, opt);
        }
        finally
        {
            OpProfile.Enabled = was;
        }
        var rows = OpProfile.Snapshot().ToDictionary(r => r.Key);
        foreach (var key in new[] { "fwd:MulBackward", "bwd:MulBackward", "bwd:SigmoidBackward", "engine:accumulate, release", "optim:AdamW.step", "fwd:(after the last recorded op)" })
            Assert.True(rows.ContainsKey(key), $"missing {key}; recorded: {string.Join(", ", rows.Keys)}");
        Assert.True(rows["optim:AdamW.step"].Calls >= 2);
        Assert.True(rows["bwd:MulBackward"].Calls >= 2);
        Assert.All(rows.Values, r => Assert.True(r.WallMs >= 0 && r.CpuMs >= 0));
        string json = OpProfile.ToJson(perSteps: 2);
        Assert.StartsWith("{\"per_steps\":2,\"total_wall_ms\":", json);
        Assert.Contains("\"optim:AdamW.step\":{\"calls\":", json);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => OpProfile.ToJson(0));
        Assert.Contains("perSteps must be >= 1", e.Message);
    }

    [Fact]
    public void Off_RecordsNothing()
    {
        bool was = OpProfile.Enabled;
        try
        {
            OpProfile.Enabled = false;
            OpProfile.Reset();
            var w = randn([3, 2], generator: new Generator(3)).requires_grad_();
            TrainStep(w, new torch.optim.AdamW([w]));
            Assert.Empty(OpProfile.Snapshot());
        }
        finally
        {
            OpProfile.Enabled = was;
        }
    }
}
