using static PluginMoE.Tensors.torch;
using static PluginMoE.Tensors.torch.optim.lr_scheduler;

namespace PluginMoE.Tensors.Tests.Optimizers;

public class LRSchedulerTests
{
    private static torch.optim.SGD Opt(double lr = 0.1) => new([new torch.nn.Parameter(zeros(1))], lr: lr);

    private static double[] Curve(LRScheduler s, int n)
    {
        var lrs = new double[n];
        for (int i = 0; i < n; i++)
        {
            lrs[i] = s.optimizer.param_groups[0].lr;
            s.optimizer.step();
            s.step();
        }
        return lrs;
    }

    private static void Close(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-15);
    }

    // Expected values: tools/golden/optim_trajectories.py with PyTorch 1.13 (base lr 0.1).
    [Fact]
    public void LinearLR_MatchesPyTorch() =>
        Close([0.025, 0.043750000000000004, 0.06250000000000001, 0.08125000000000002, 0.1, 0.1, 0.1], Curve(new LinearLR(Opt(), 0.25, 1.0, 4), 7));

    [Fact]
    public void StepLR_MatchesPyTorch() => Close([0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125], Curve(new StepLR(Opt(), 2, 0.5), 7));

    [Fact]
    public void ConstantLR_MatchesPyTorch() => Close([0.05, 0.05, 0.05, 0.1, 0.1], Curve(new ConstantLR(Opt(), 0.5, 3), 5));

    [Fact]
    public void LambdaLR_PerGroupLambdas()
    {
        var opt = new torch.optim.SGD([new torch.optim.ParamGroup([new torch.nn.Parameter(zeros(1))]), new torch.optim.ParamGroup([new torch.nn.Parameter(zeros(1))], lr: 1.0)], lr: 0.1);
        var s = new LambdaLR(opt, [k => 1.0 / (k + 1), k => k]);
        Assert.Equal(new[] { 0.1, 0.0 }, s.get_last_lr());
        s.step();
        s.step();
        Assert.Equal(0.1 / 3, s.get_last_lr()[0], 15);
        Assert.Equal(2.0, s.get_last_lr()[1]);
        Assert.Throws<ArgumentException>(() => new LambdaLR(opt, [k => 1, k => 1, k => 1]));
    }

    [Fact]
    public void CosineWithWarmup_CurveAtKeyPoints()
    {
        // W = 10, T = 110, base 1e-3, floor 10% of base.
        var s = new CosineWithWarmup(Opt(1e-3), warmup_steps: 10, total_steps: 110, min_lr_ratio: 0.1);
        var lrs = Curve(s, 130);
        Assert.Equal(0.0, lrs[0]);
        Assert.Equal(5e-4, lrs[5], 15);
        Assert.Equal(1e-3, lrs[10], 15);                        // warmup end = peak
        Assert.Equal(1e-4 + 0.9e-3 * 0.5, lrs[60], 15);         // halfway through the decay
        Assert.Equal(1e-4 + 0.9e-3 * 0.5 * (1 + Math.Cos(Math.PI * 0.25)), lrs[35], 15);
        Assert.Equal(1e-4, lrs[110], 15);                       // end = floor
        Assert.Equal(1e-4, lrs[129], 15);                       // constant after the end
        for (int i = 11; i < 110; i++) Assert.True(lrs[i] < lrs[i - 1]);
    }

    [Fact]
    public void CosineWithWarmup_AbsoluteFloorAndStartFactor()
    {
        var s = new CosineWithWarmup(Opt(0.2), warmup_steps: 4, total_steps: 8, min_lr: 0.01, warmup_start_factor: 0.5);
        var lrs = Curve(s, 10);
        Assert.Equal(0.1, lrs[0], 15);
        Assert.Equal(0.15, lrs[2], 15);
        Assert.Equal(0.2, lrs[4], 15);
        Assert.Equal(0.01 + 0.19 * 0.5, lrs[6], 15);
        Assert.Equal(0.01, lrs[8], 15);
        Assert.Equal(0.01, lrs[9], 15);
        Assert.Throws<ArgumentException>(() => new CosineWithWarmup(Opt(), 10, 5));
        Assert.Throws<ArgumentException>(() => new CosineWithWarmup(Opt(), 1, 5, min_lr: 0.1, min_lr_ratio: 0.1));
    }

    [Fact]
    public void ConstantWithWarmup_RampsThenHolds() =>
        Close([0.0, 0.025, 0.05, 0.075, 0.1, 0.1], Curve(new ConstantWithWarmup(Opt(), 4), 6));

    [Fact]
    public void StateDict_ResumesAtSavedStep()
    {
        var s1 = new CosineWithWarmup(Opt(), 5, 50, min_lr_ratio: 0.1);
        Curve(s1, 17);
        var saved = s1.state_dict();
        Assert.Equal(17, saved.last_epoch);

        var opt2 = Opt();
        var s2 = new CosineWithWarmup(opt2, 5, 50, min_lr_ratio: 0.1);
        s2.load_state_dict(saved);
        Assert.Equal(s1.get_last_lr(), s2.get_last_lr());
        s1.step();
        s2.step();
        Assert.Equal(s1.get_last_lr(), s2.get_last_lr());
        Assert.Equal(0.1, opt2.param_groups[0].initial_lr);
    }
}
