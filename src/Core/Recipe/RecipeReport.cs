// The recipe's report: report.md with the comparison tables (per-domain perplexity absolute and relative to the
// reference variant, as the Nexus and BTX papers report them), the parameter table, the embedding cosine matrix,
// and the SVG plots (training-loss curves, per-domain perplexity bars, routing heatmaps per variant and layer).
using System.Globalization;
using System.Text;

namespace PluginMoE.Core.Recipe;

/// <summary>Writes report.md and its plots.</summary>
public static class RecipeReport
{
    /// <summary>The report's file name.</summary>
    public const string FileName = "report.md";

    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>
    /// Writes report.md and the SVG files into <paramref name="directory"/>; <paramref name="lossCurves"/> are the
    /// training curves by model name (finetuning for variants, continued training for baselines). Returns the files written.
    /// </summary>
    public static IReadOnlyList<string> Write(string directory, string title, RecipeResults results, IReadOnlyDictionary<string, LossCurve> lossCurves)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(lossCurves);
        Directory.CreateDirectory(directory);
        var files = new List<string>();
        void Svg(string name, string svg)
        {
            File.WriteAllText(Path.Combine(directory, name), svg);
            files.Add(name);
        }

        var md = new StringBuilder().Append(C, $"# {title}\n\n");
        var models = results.Models;
        var reference = results.Reference is { } r ? models.FirstOrDefault(m => m.Name == r) : null;

        md.Append("## Validation perplexity per domain\n\n");
        md.Append("| model | kind |").AppendJoin("", results.Domains.Select(d => $" {d} |")).Append(" mean |\n");
        md.Append("| --- | --- |").AppendJoin("", results.Domains.Select(_ => " ---: |")).Append(" ---: |\n");
        foreach (var m in models)
            md.Append(C, $"| {m.Name} | {m.Kind} |").AppendJoin("", results.Domains.Select(d => Cell(m, d))).Append(C, $" {m.MeanPerplexity:F3} |\n");
        md.Append('\n');

        if (reference is not null)
        {
            md.Append(C, $"## Relative to `{reference.Name}` (perplexity ratio - 1; negative is better)\n\n");
            md.Append("| model |").AppendJoin("", results.Domains.Select(d => $" {d} |")).Append(" mean |\n");
            md.Append("| --- |").AppendJoin("", results.Domains.Select(_ => " ---: |")).Append(" ---: |\n");
            foreach (var m in models)
            {
                md.Append(C, $"| {m.Name} |");
                foreach (var d in results.Domains)
                    md.Append(m.Perplexity.TryGetValue(d, out var p) && reference.Perplexity.TryGetValue(d, out var q) ? Percent(p / q - 1) : " - |");
                md.Append(Percent(m.MeanPerplexity / reference.MeanPerplexity - 1)).Append('\n');
            }
            md.Append('\n');
        }

        md.Append("## Parameters and throughput\n\n| model | total | active (training) | active (inference) | evaluation tokens/s |\n| --- | ---: | ---: | ---: | ---: |\n");
        foreach (var m in models)
            md.Append(C, $"| {m.Name} | {m.TotalParameters:N0} | {m.ActiveTrainingParameters:N0} | {m.ActiveInferenceParameters:N0} | {m.TokensPerSecond:N0} |\n");
        md.Append('\n');

        if (results.EmbeddingDomains.Count > 0)
        {
            md.Append("## Domain embeddings: cosine similarity\n\n| |").AppendJoin("", results.EmbeddingDomains.Select(d => $" {d} |")).Append('\n');
            md.Append("| --- |").AppendJoin("", results.EmbeddingDomains.Select(_ => " ---: |")).Append('\n');
            for (int i = 0; i < results.EmbeddingDomains.Count; i++)
                md.Append(C, $"| {results.EmbeddingDomains[i]} |").AppendJoin("", results.EmbeddingCosine[i].Select(v => string.Create(C, $" {v:F3} |"))).Append('\n');
            md.Append('\n');
        }

        md.Append("## Plots\n\n");
        var curves = lossCurves.Where(kv => kv.Value.Points.Count > 0).OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => new ChartSeries(kv.Key, Smooth(kv.Value.Points))).ToList();
        Svg("loss.svg", SvgChart.Lines("Training loss", "step", "loss (moving average)", curves));
        md.Append("Training loss (finetuning of each variant, continued training of each baseline):\n\n![training loss](loss.svg)\n\n");

        var values = models.Select(m => results.Domains.Select(d => m.Perplexity.GetValueOrDefault(d, double.NaN)).ToArray()).ToArray();
        Svg("perplexity.svg", SvgChart.Bars("Validation perplexity per domain", "perplexity", results.Domains, models.Select(m => m.Name).ToList(), values));
        md.Append("Validation perplexity per domain:\n\n![perplexity](perplexity.svg)\n\n");

        foreach (var m in models.Where(m => m.Routing.Values.Any(l => l.Count > 0)))
        {
            var layers = m.Routing.Values.First(l => l.Count > 0).Select(l => l.Layer).ToList();
            foreach (int layer in layers)
            {
                int experts = m.Routing.Values.SelectMany(l => l).Where(l => l.Layer == layer).Max(l => l.Fractions.Length);
                var grid = new double[results.Domains.Count, experts];
                for (int i = 0; i < results.Domains.Count; i++)
                    if (m.Routing.TryGetValue(results.Domains[i], out var per) && per.FirstOrDefault(l => l.Layer == layer) is { } lr)
                        for (int e = 0; e < lr.Fractions.Length; e++) grid[i, e] = lr.Fractions[e];
                string name = $"routing-{Slug(m.Name)}-layer{layer}.svg";
                Svg(name, SvgChart.Heatmap($"Routing share, {m.Name}, layer {layer} (domain x expert)", results.Domains,
                    Enumerable.Range(0, experts).Select(e => $"expert {e}").ToList(), grid));
                md.Append(C, $"Routing share of `{m.Name}`, layer {layer}:\n\n![routing {m.Name} layer {layer}]({name})\n\n");
            }
        }
        File.WriteAllText(Path.Combine(directory, FileName), md.ToString());
        files.Add(FileName);
        return files;
    }

    private static string Cell(ModelResult m, string domain) => m.Perplexity.TryGetValue(domain, out var p) ? string.Create(C, $" {p:F3} |") : " - |";

    private static string Percent(double ratio) => string.Create(C, $" {ratio * 100:+0.0;-0.0;0.0}% |");

    private static string Slug(string s) => new(s.Select(ch => char.IsLetterOrDigit(ch) || ch is '-' or '_' ? ch : '-').ToArray());

    // A loss curve at most 200 points long, each a moving average over a window of steps.
    private static List<(double X, double Y)> Smooth(IReadOnlyList<LossPoint> points)
    {
        int window = Math.Max(1, points.Count / 50);
        int stride = Math.Max(1, points.Count / 200);
        var result = new List<(double, double)>();
        for (int i = 0; i < points.Count; i += stride)
        {
            int lo = Math.Max(0, i - window + 1);
            double mean = 0;
            for (int j = lo; j <= i; j++) mean += points[j].Loss;
            result.Add((points[i].Step, mean / (i - lo + 1)));
        }
        if (result.Count > 0 && result[^1].Item1 != points[^1].Step) result.Add((points[^1].Step, points[^1].Loss));
        return result;
    }
}
