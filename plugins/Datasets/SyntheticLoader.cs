// The synthetic dataset loader: seeded toy domains for tests and demonstrations, no files needed.
using System.Globalization;
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Data;
using PluginMoE.Plugins.Datasets.Synthetic;

namespace PluginMoE.Plugins.Datasets;

/// <summary>
/// Generates <see cref="SyntheticOptions.DocumentsPerDomain"/> documents per domain (domains in the order given),
/// ids <c>synthetic/&lt;domain&gt;/&lt;index&gt;</c>; each document depends only on the seed, its domain and its index.
/// </summary>
[ExportDatasetLoader("synthetic", Description = "Seeded toy domains: arithmetic equations, bracket languages, key-value records")]
public sealed class SyntheticLoader : IDatasetLoader
{
    /// <inheritdoc/>
    public Type? OptionsType => typeof(SyntheticOptions);

    /// <inheritdoc/>
    public IEnumerable<Document> Load(DatasetRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = request.Options as SyntheticOptions ?? new SyntheticOptions();
        var problems = options.Validate(new(options)).Select(r => r.ErrorMessage).ToArray();
        if (problems.Length > 0) throw new ArgumentException(string.Join("; ", problems));
        return Generate(options, request.CancellationToken);
    }

    private static IEnumerable<Document> Generate(SyntheticOptions options, CancellationToken ct)
    {
        foreach (var domain in options.Domains.Distinct())
            for (int i = 0; i < options.DocumentsPerDomain; i++)
            {
                if (i % 1024 == 0) ct.ThrowIfCancellationRequested();
                string text = SyntheticGenerators.Document(domain, SplitMix.ForDocument(options.Seed, domain, i), options.CharactersPerDocument);
                yield return new Document($"synthetic/{domain}/{i.ToString("D6", CultureInfo.InvariantCulture)}", domain, text);
            }
    }
}
