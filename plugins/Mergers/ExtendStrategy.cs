// Merge strategy `extend` (Nexus, arXiv 2408.15901, "Extending with a new expert"): MoE + one new dense
// expert -> n + 1 experts, non-FFN parameters mixed with lambda = 1/(n+1) unless given. It only extends.
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Merging;

namespace PluginMoE.Plugins.Mergers;

/// <summary>The <c>extend</c> strategy.</summary>
[ExportMergeStrategy("extend", Description = "Extension: a new dense expert's FFN appended to every MoE layer, non-FFN parameters mixed (1 - lambda) * moe + lambda * new, lambda = 1/(n+1)")]
public sealed class ExtendStrategy : IMergeStrategy
{
    /// <summary>The name profiles and the CLI use.</summary>
    public const string Name = "extend";

    /// <inheritdoc/>
    public Type? OptionsType => typeof(ExtendOptions);

    /// <inheritdoc/>
    public ModelCheckpoint Merge(MergeRequest request) =>
        throw new NotSupportedException("merge strategy 'extend' only extends an existing MoE (pluginmoe extend --moe DIR --expert DIR); to build an MoE from dense experts use btx, nexus or sparse-upcycle");

    /// <inheritdoc/>
    public ModelCheckpoint Extend(ExtendRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = request.Options as ExtendOptions ?? new ExtendOptions();
        return Extension.Extend(request, options.Lambda, Name);
    }
}
