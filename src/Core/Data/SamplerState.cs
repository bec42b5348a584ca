// The complete state of the training-window sampler, saved with the trainer state for exact resume.
namespace PluginMoE.Core.Data;

/// <summary>Where the sampler is: its random generator's (seed, offset), the number of batches drawn and, for sequential windows, the data position.</summary>
/// <param name="Generator">The generator state (<c>Generator.get_state()</c>).</param>
/// <param name="Step">Batches drawn so far.</param>
public sealed record SamplerState(long[] Generator, long Step)
{
    /// <summary>Sequential order only: the token offset of the next window in each domain's stream (the data position); null for random windows.</summary>
    public IReadOnlyDictionary<string, long>? Cursors { get; init; }

    /// <summary>Sequential order only: how many times each domain's stream has wrapped around (epochs completed).</summary>
    public IReadOnlyDictionary<string, long>? Epochs { get; init; }
}
