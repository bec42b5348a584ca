// TrainerOptions is both the trainer's settings and the profile's Training section: its warmup is resolved in one
// place, and its defaults keep the warmup the trainer had before (100 of 1000 steps).
using PluginMoE.Core.Training;

namespace PluginMoE.Core.Tests.Training;

public sealed class TrainerOptionsTests
{
    [Fact]
    public void Defaults_WarmUpForATenthOfTheSteps() => Assert.Equal(100, new TrainerOptions().EffectiveWarmupSteps());

    [Theory]
    [InlineData(50, null, 0.1, 5)]
    [InlineData(7, null, 0.5, 4)] // 3.5 rounds away from zero
    [InlineData(10, 3L, 0.1, 3)]
    [InlineData(10, 20L, 0.1, 10)] // clamped to Steps
    public void EffectiveWarmupSteps_ExplicitStepsClamped_ElseAFractionOfSteps(long steps, long? warmup, double fraction, long expected)
    {
        var options = new TrainerOptions { Steps = steps, WarmupSteps = warmup, WarmupFraction = fraction };
        Assert.Equal(expected, options.EffectiveWarmupSteps());
        Assert.Equal(warmup > steps ? 1 : 0, options.Notices().Count);
    }

    [Fact]
    public void AStageBudget_CarriesTheWarmupFractionAlong() =>
        Assert.Equal(30, (new TrainerOptions { Steps = 1000 } with { Steps = 300 }).EffectiveWarmupSteps());
}
