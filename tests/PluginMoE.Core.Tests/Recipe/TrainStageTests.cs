// The train stage's pauses: training runs in chunks up to the next checkpoint step, never beyond the end (the trainer
// evaluates inside a chunk, at its own evaluation points).
using PluginMoE.Core.Recipe.Stages;

namespace PluginMoE.Core.Tests.Recipe;

public sealed class TrainStageTests
{
    [Theory]
    [InlineData(0, 10, 0, 10)]
    [InlineData(0, 10, 3, 3)]
    [InlineData(3, 10, 3, 6)]
    [InlineData(4, 10, 3, 6)]
    [InlineData(9, 10, 3, 10)]
    public void NextBoundary_StopsAtTheNextCheckpointOrTheEnd(long step, long max, long every, long expected) =>
        Assert.Equal(expected, TrainStage.NextBoundary(step, max, every));
}
