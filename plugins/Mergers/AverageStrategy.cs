// Merge strategy `average`: the plain or weighted parameter average of N dense models into one dense model,
// theta = sum_j w_j theta_j with sum_j w_j = 1 (Branch-Train-Merge style; the Nexus paper's dense-merge baseline).
using System.Globalization;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Merging;

namespace PluginMoE.Plugins.Mergers;

/// <summary>The <c>average</c> strategy.</summary>
[ExportMergeStrategy("average", Description = "Dense merge: the plain or weighted parameter average of N dense models (BTM-style baseline)")]
public sealed class AverageStrategy : IMergeStrategy
{
    /// <summary>The name profiles and the CLI use.</summary>
    public const string Name = "average";

    /// <inheritdoc/>
    public Type? OptionsType => typeof(AverageOptions);

    /// <inheritdoc/>
    public ModelCheckpoint Merge(MergeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = request.Options as AverageOptions ?? new AverageOptions();
        var problems = new List<string>();
        var seed = new MergeInput("seed", request.Seed);
        var models = request.Experts.Select(e => new MergeInput($"expert '{e.Domain}'", e.Checkpoint)).ToList();
        if (options.IncludeSeed) models.Add(seed);
        const string hint = "average merges dense models";
        InputChecks.Dense(seed, problems, hint);
        foreach (var e in models.Where(x => !ReferenceEquals(x, seed)))
        {
            InputChecks.Dense(e, problems, hint);
            int before = problems.Count;
            InputChecks.SameArchitecture(seed, e, problems);
            if (problems.Count == before) InputChecks.SameTensors(seed, e, problems);
        }
        InputChecks.DistinctDomains([.. request.Experts.Select(e => e.Domain)], problems);
        if (models.Count == 0) problems.Add("there is nothing to average: give at least one expert");
        if (options.Weights is { } w)
        {
            if (w.Length != models.Count)
                problems.Add($"Weights has {w.Length} values but {models.Count} models are averaged ({string.Join(", ", models.Select(x => x.Role))}); give one weight per model");
            else if (w.Any(x => !(x >= 0) || double.IsInfinity(x)) || !(w.Sum() > 0))
                problems.Add($"Weights [{string.Join(", ", w.Select(x => x.ToString(CultureInfo.InvariantCulture)))}] must be finite, non-negative and not all zero");
        }
        InputChecks.ThrowIfAny(problems, Name);

        var weights = Averaging.Normalise(options.Weights, models.Count);
        // Computed when read: a writer streams the average one tensor at a time.
        var tensors = new ComputedTensors($"average of {string.Join(", ", models.Select(m => m.Role))}");
        foreach (var name in seed.Names.Where(n => !n.StartsWith(FfnNames.ExtraPrefix, StringComparison.Ordinal)))
            tensors.Add(name, seed.ShapeOf(name), models[0].DTypeOf(name), () => Averaging.Average(models, weights, name));
        return new ModelCheckpoint(seed.Config with { Moe = null }, tensors) { HuggingFace = seed.Checkpoint.HuggingFace };
    }

    /// <inheritdoc/>
    public ModelCheckpoint Extend(ExtendRequest request) =>
        throw new NotSupportedException("merge strategy 'average' builds dense models and cannot extend an MoE; use the 'extend' strategy (pluginmoe extend)");
}
