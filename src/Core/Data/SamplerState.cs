// The complete state of the training-window sampler, saved with the trainer state for exact resume.
namespace PluginMoE.Core.Data;

/// <summary>Where the sampler is: its random generator's (seed, offset) and the number of batches drawn.</summary>
/// <param name="Generator">The generator state (<c>Generator.get_state()</c>).</param>
/// <param name="Step">Batches drawn so far.</param>
public sealed record SamplerState(long[] Generator, long Step);
