// Golden AdamW trajectory (Fixtures/golden/adamw.json from tools/golden/generate_ops.py, PyTorch 1.13):
// two parameter groups with different weight decay, fixed gradients, six steps, float32.
using System.Text.Json;

namespace PluginMoE.Tensors.Tests.Golden;

public class GoldenAdamWTests
{
    [Fact]
    public void AdamW_TwoGroupsSixSteps_MatchesPyTorch()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "golden", "adamw.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        var init = root.GetProperty("init").EnumerateArray().Select(GoldenOpsTests.Decode).ToArray();
        var a = new torch.nn.Parameter(init[0]);
        var b = new torch.nn.Parameter(init[1]);
        var betas = root.GetProperty("betas").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var wd = root.GetProperty("weight_decay").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var opt = new torch.optim.AdamW(
            [new torch.optim.ParamGroup([a], weight_decay: wd[0]), new torch.optim.ParamGroup([b], weight_decay: wd[1])],
            lr: root.GetProperty("lr").GetDouble(), beta1: betas[0], beta2: betas[1], eps: root.GetProperty("eps").GetDouble());
        var grads = root.GetProperty("grads").EnumerateArray().ToArray();
        var traj = root.GetProperty("trajectory").EnumerateArray().ToArray();
        for (int step = 0; step < grads.Length; step++)
        {
            var g = grads[step].EnumerateArray().Select(GoldenOpsTests.Decode).ToArray();
            a.grad = g[0];
            b.grad = g[1];
            opt.step();
            var want = traj[step].EnumerateArray().Select(GoldenOpsTests.Decode).ToArray();
            GoldenOpsTests.AssertClose(want[0], a, $"step {step + 1} group 0", atol: 1e-6, rtol: 1e-5);
            GoldenOpsTests.AssertClose(want[1], b, $"step {step + 1} group 1", atol: 1e-6, rtol: 1e-5);
        }
    }
}
