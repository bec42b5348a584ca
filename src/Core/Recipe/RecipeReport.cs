// The recipe's report: report.md with the comparison tables (per-domain validation perplexity absolute and relative
// to the reference variant, as the Nexus and BTX papers report them; test perplexity in its own table), the
// parameter table, the embedding cosine matrix, and the SVG plots (training-loss curves, per-domain perplexity bars,
// routing heatmaps per variant and layer; the loss plot carries the validation loss at the trainer's evaluation points
// when Training:EvalEvery is set); over several seeds, every number is the mean ± the sample standard
// deviation and every plot shows that spread.
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
    public static IReadOnlyList<string> Write(string directory, string title, RecipeResults results, IReadOnlyDictionary<string, LossCurve> lossCurves) =>
        Write(directory, title, [new SeedResults(0, results, lossCurves)]);

    /// <summary>
    /// Writes report.md and the SVG files into <paramref name="directory"/> from the results of one or several seeds.
    /// With one seed every cell is that seed's value; with several, every cell is the mean over the seeds ± the sample
    /// standard deviation (<see cref="SeedSpread"/>), relative numbers are taken per seed against that seed's reference
    /// before averaging, and the plots show the spread (bands around loss curves, error bars on bars, ± under each
    /// heatmap cell). Models, domains and their order come from the first seed. Returns the files written.
    /// </summary>
    public static IReadOnlyList<string> Write(string directory, string title, IReadOnlyList<SeedResults> seeds)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        if (seeds.Count == 0) throw new ArgumentException("the report needs the results of at least one seed", nameof(seeds));
        Directory.CreateDirectory(directory);
        var files = new List<string>();
        void Svg(string name, string svg)
        {
            File.WriteAllText(Path.Combine(directory, name), svg);
            files.Add(name);
        }

        var first = seeds[0].Results;
        var domains = first.Domains;
        var names = first.Models.Select(m => m.Name).ToList();
        var kinds = first.Models.ToDictionary(m => m.Name, m => m.Kind, StringComparer.Ordinal);
        bool several = seeds.Count > 1;
        // The value of a measurement for each seed that has it.
        SeedSpread Over(string model, Func<ModelResult, RecipeResults, double?> value) =>
            SeedSpread.Of(seeds.Select(s => s.Results.Models.FirstOrDefault(m => m.Name == model) is { } m ? value(m, s.Results) : null)
                .OfType<double>().Where(double.IsFinite));
        static ModelResult? Reference(RecipeResults r) => r.Reference is { } name ? r.Models.FirstOrDefault(m => m.Name == name) : null;

        var md = new StringBuilder().Append(C, $"# {title}\n\n");
        if (several)
            md.Append(C, $"Seeds: {string.Join(", ", seeds.Select(s => s.Seed))}. Every number is the mean over the {seeds.Count} seeds ± their sample standard deviation (n - 1); each seed's own report is in its run folder, seed-<s>/report/.\n\n");

        md.Append("## Validation perplexity per domain\n\n");
        md.Append("| model | kind |").AppendJoin("", domains.Select(d => $" {d} |")).Append(" mean |\n");
        md.Append("| --- | --- |").AppendJoin("", domains.Select(_ => " ---: |")).Append(" ---: |\n");
        foreach (var name in names)
        {
            md.Append(C, $"| {name} | {kinds[name]} |");
            foreach (var d in domains)
                md.Append(Cell(Over(name, (m, _) => m.Perplexity.TryGetValue(d, out var p) ? p : null), "F3"));
            md.Append(Cell(Over(name, (m, _) => m.MeanPerplexity), "F3")).Append('\n');
        }
        md.Append('\n');

        if (first.Reference is { } referenceName && Reference(first) is not null)
        {
            md.Append(C, $"## Relative to `{referenceName}` (perplexity ratio - 1; negative is better)\n\n");
            md.Append("| model |").AppendJoin("", domains.Select(d => $" {d} |")).Append(" mean |\n");
            md.Append("| --- |").AppendJoin("", domains.Select(_ => " ---: |")).Append(" ---: |\n");
            foreach (var name in names)
            {
                md.Append(C, $"| {name} |");
                foreach (var d in domains)
                    md.Append(Percent(Over(name, (m, r) => m.Perplexity.TryGetValue(d, out var p) && Reference(r) is { } q && q.Perplexity.TryGetValue(d, out var pq) ? p / pq - 1 : null)));
                md.Append(Percent(Over(name, (m, r) => Reference(r) is { } q ? m.MeanPerplexity / q.MeanPerplexity - 1 : null))).Append('\n');
            }
            md.Append('\n');
        }

        // The test split: its own table, below the validation tables, which stay the main comparison.
        var testDomains = first.TestDomains;
        if (seeds.Any(s => s.Results.TestDomains is null))
            md.Append("## Test perplexity per domain\n\nNot measured: the evaluate stage of ")
              .Append(several ? $"seed(s) {string.Join(", ", seeds.Where(s => s.Results.TestDomains is null).Select(s => s.Seed))}" : "this run folder")
              .Append(" ran before PluginMoE reported the test split; run it again with `--stages evaluate,report --restart evaluate,report` to add the test table.\n\n");
        else if (testDomains is { Count: > 0 })
        {
            md.Append("## Test perplexity per domain\n\nOn the held-out test split (Data:TestFraction; never used for training, checkpoint choice or any setting); ")
              .Append("the validation tables above are the main comparison.\n\n");
            md.Append("| model | kind |").AppendJoin("", testDomains.Select(d => $" {d} |")).Append(" mean |\n");
            md.Append("| --- | --- |").AppendJoin("", testDomains.Select(_ => " ---: |")).Append(" ---: |\n");
            foreach (var name in names)
            {
                md.Append(C, $"| {name} | {kinds[name]} |");
                foreach (var d in testDomains)
                    md.Append(Cell(Over(name, (m, _) => m.TestPerplexity.TryGetValue(d, out var p) ? p : null), "F3"));
                md.Append(Cell(Over(name, (m, _) => m.TestPerplexity.Count == 0 ? null : m.MeanTestPerplexity), "F3")).Append('\n');
            }
            md.Append('\n');
        }
        else
            md.Append("## Test perplexity per domain\n\nNot measured: this run holds no test windows (Data:TestFraction is 0, or too few documents per domain).\n\n");

        md.Append("## Parameters and throughput\n\nTraining tokens/s is the mean over the model's last training (finetuning, or the baseline's continued training; optimizer steps only), ")
          .Append("evaluation tokens/s the forward passes of its validation measurement, both on this machine.\n\n")
          .Append("| model | total | active (training) | active (inference) | training tokens/s | evaluation tokens/s |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
        foreach (var name in names)
            md.Append(C, $"| {name} |")
                .Append(Count(Over(name, (m, _) => m.TotalParameters)))
                .Append(Count(Over(name, (m, _) => m.ActiveTrainingParameters)))
                .Append(Count(Over(name, (m, _) => m.ActiveInferenceParameters)))
                .Append(Cell(SeedSpread.Of(seeds.Select(s => s.LossCurves.GetValueOrDefault(name)).OfType<LossCurve>().Where(c => c.Seconds > 0).Select(c => c.Tokens / c.Seconds)), "N0"))
                .Append(Cell(Over(name, (m, _) => m.TokensPerSecond), "N0")).Append('\n');
        md.Append('\n');

        if (first.EmbeddingDomains.Count > 0)
        {
            var embedded = first.EmbeddingDomains;
            md.Append("## Domain embeddings: cosine similarity\n\n| |").AppendJoin("", embedded.Select(d => $" {d} |")).Append('\n');
            md.Append("| --- |").AppendJoin("", embedded.Select(_ => " ---: |")).Append('\n');
            for (int i = 0; i < embedded.Count; i++)
            {
                md.Append(C, $"| {embedded[i]} |");
                for (int j = 0; j < embedded.Count; j++)
                {
                    int row = i, column = j;
                    md.Append(Cell(SeedSpread.Of(seeds.Select(s => s.Results).Where(r => r.EmbeddingCosine.Count > row && r.EmbeddingCosine[row].Length > column)
                        .Select(r => r.EmbeddingCosine[row][column])), "F3"));
                }
                md.Append('\n');
            }
            md.Append('\n');
        }

        md.Append("## Plots\n\n");
        var curveNames = seeds.SelectMany(s => s.LossCurves.Where(kv => kv.Value.Points.Count > 0).Select(kv => kv.Key)).Distinct().Order(StringComparer.Ordinal);
        var curves = curveNames.Select(n => LossSeries(n, seeds.Select(s => s.LossCurves.GetValueOrDefault(n)).OfType<LossCurve>().Where(c => c.Points.Count > 0).ToList(), several)).ToList();
        // The validation loss at the trainer's evaluation points (Training:EvalEvery), one more series per model that has them.
        var validationNames = seeds.SelectMany(s => s.LossCurves.Where(kv => kv.Value.Validation.Count > 0).Select(kv => kv.Key)).Distinct().Order(StringComparer.Ordinal).ToList();
        curves.AddRange(validationNames.Select(n => ValidationSeries(n, [.. seeds.Select(s => s.LossCurves.GetValueOrDefault(n)).OfType<LossCurve>().Where(c => c.Validation.Count > 0)], several)));
        Svg("loss.svg", SvgChart.Lines(validationNames.Count > 0 ? "Training and validation loss" : "Training loss", "step",
            several ? "loss (moving average; band: ± std over seeds)" : "loss (moving average)", curves));
        md.Append("Training loss (finetuning of each variant, continued training of each baseline")
            .Append(validationNames.Count > 0 ? $"; the series named \"<model> {ValidationSuffix}\" are the validation loss at the trainer's evaluation points, every Training:EvalEvery steps and after the last" : "")
            .Append(several ? "; the line is the mean over the seeds, the band ± their standard deviation" : "").Append("):\n\n![training loss](loss.svg)\n\n");

        var bars = names.Select(n => domains.Select(d => Over(n, (m, _) => m.Perplexity.TryGetValue(d, out var p) ? p : null)).ToArray()).ToArray();
        Svg("perplexity.svg", SvgChart.Bars("Validation perplexity per domain", "perplexity", domains, names,
            bars.Select(b => b.Select(x => x.Count == 0 ? double.NaN : x.Mean).ToArray()).ToArray(),
            several ? bars.Select(b => b.Select(x => x.StandardDeviation).ToArray()).ToArray() : null));
        md.Append("Validation perplexity per domain").Append(several ? " (mean over the seeds; error bars ± their standard deviation)" : "")
            .Append(":\n\n![perplexity](perplexity.svg)\n\n");

        foreach (var name in names)
        {
            var routed = seeds.Select(s => s.Results.Models.FirstOrDefault(m => m.Name == name)).OfType<ModelResult>()
                .Where(m => m.Routing.Values.Any(l => l.Count > 0)).ToList();
            if (routed.Count == 0) continue;
            var layers = routed[0].Routing.Values.First(l => l.Count > 0).Select(l => l.Layer).ToList();
            foreach (int layer in layers)
            {
                int experts = routed.SelectMany(m => m.Routing.Values).SelectMany(l => l).Where(l => l.Layer == layer).Max(l => l.Fractions.Length);
                var mean = new double[domains.Count, experts];
                var spread = new double[domains.Count, experts];
                for (int i = 0; i < domains.Count; i++)
                    for (int e = 0; e < experts; e++)
                    {
                        int row = i, expert = e;
                        var share = SeedSpread.Of(routed.Select(m => m.Routing.TryGetValue(domains[row], out var per) && per.FirstOrDefault(l => l.Layer == layer) is { } lr
                            ? (expert < lr.Fractions.Length ? lr.Fractions[expert] : 0) : (double?)null).OfType<double>());
                        (mean[i, e], spread[i, e]) = share.Count == 0 ? (0, 0) : (share.Mean, share.StandardDeviation);
                    }
                string file = $"routing-{Slug(name)}-layer{layer}.svg";
                Svg(file, SvgChart.Heatmap($"Routing share, {name}, layer {layer} (domain x expert)", domains,
                    Enumerable.Range(0, experts).Select(e => $"expert {e}").ToList(), mean, several ? spread : null));
                md.Append(C, $"Routing share of `{name}`, layer {layer}").Append(several ? " (mean over the seeds, ± their standard deviation)" : "")
                    .Append(C, $":\n\n![routing {name} layer {layer}]({file})\n\n");
            }
        }
        File.WriteAllText(Path.Combine(directory, FileName), md.ToString());
        files.Add(FileName);
        return files;
    }

    // One loss series: a single seed's smoothed curve, or the mean of the seeds' smoothed curves at the steps they
    // share with the standard deviation as its band.
    private static ChartSeries LossSeries(string name, IReadOnlyList<LossCurve> curves, bool several)
    {
        var smoothed = curves.Select(c => Smooth(c.Points)).ToList();
        if (!several || smoothed.Count == 0) return new ChartSeries(name, smoothed.Count == 0 ? [] : smoothed[0]);
        var common = smoothed.Skip(1).Aggregate(smoothed[0].Select(p => p.X).ToHashSet(), (set, s) => { set.IntersectWith(s.Select(p => p.X)); return set; });
        var points = new List<(double X, double Y)>();
        var spread = new List<double>();
        foreach (var x in common.Order())
        {
            var at = SeedSpread.Of(smoothed.Select(s => s.First(p => p.X == x).Y));
            points.Add((x, at.Mean));
            spread.Add(at.StandardDeviation);
        }
        return new ChartSeries(name, points) { Spread = spread };
    }

    /// <summary>The suffix of a validation-loss series' name in loss.svg.</summary>
    public const string ValidationSuffix = "(validation)";

    // One validation-loss series: the evaluation points of one seed, or their mean (± std) at the steps every seed evaluated.
    private static ChartSeries ValidationSeries(string name, IReadOnlyList<LossCurve> curves, bool several)
    {
        string label = $"{name} {ValidationSuffix}";
        if (!several || curves.Count <= 1) return new ChartSeries(label, curves.Count == 0 ? [] : [.. curves[0].Validation.Select(p => ((double)p.Step, p.Loss))]);
        var common = curves.Skip(1).Aggregate(curves[0].Validation.Select(p => p.Step).ToHashSet(), (set, c) => { set.IntersectWith(c.Validation.Select(p => p.Step)); return set; });
        var at = common.Order().Select(step => (Step: step, S: SeedSpread.Of(curves.Select(c => c.Validation.First(p => p.Step == step).Loss)))).ToList();
        return new ChartSeries(label, [.. at.Select(a => ((double)a.Step, a.S.Mean))]) { Spread = [.. at.Select(a => a.S.StandardDeviation)] };
    }

    private static string Cell(SeedSpread value, string format) => value.Count == 0 ? " - |" : $" {value.Format(format)} |";

    // A parameter count: the same for every seed (the architecture does not depend on it), so shown once when it is.
    private static string Count(SeedSpread value) =>
        value.Count > 0 && value.Min == value.Max ? string.Create(C, $" {value.Mean:N0} |") : Cell(value, "N0");

    // A ratio - 1 as a signed percentage, with its spread in percentage points over several seeds.
    private static string Percent(SeedSpread ratio) =>
        ratio.Count == 0 ? " - |"
        : ratio.Count == 1 ? string.Create(C, $" {ratio.Mean * 100:+0.0;-0.0;0.0}% |")
        : string.Create(C, $" {ratio.Mean * 100:+0.0;-0.0;0.0}% ± {ratio.StandardDeviation * 100:0.0} |");

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
