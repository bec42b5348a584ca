// The extension section of the recipe's report (Nexus, "Extending with a new expert", its Table 4 and Figure 4 in
// form): per extended variant and finetuning budget the new-domain and old-domain validation perplexity with the test
// split's beside them (each column labelled with its split; results measured before the test split get a note), the share of
// the new domain's tokens routed to the new expert, the ratio of the new-domain perplexity to that of the reference
// extension, the router parameters the extension added, and two SVG curves (new-domain and old-domain perplexity
// against budget, one series per extension). Over several seeds every cell is the mean ± the sample standard
// deviation (SeedSpread), the ratio is taken per seed against that seed's reference before averaging and each seed's
// ratio is listed beside it, and the curves carry the spread as a band (an error bar where a series has one point).
using System.Globalization;
using System.Text;

namespace PluginMoE.Core.Recipe;

/// <summary>Writes the extension part of report.md and its plots.</summary>
public static class ExtensionReport
{
    /// <summary>The new-domain curve's file name.</summary>
    public const string NewDomainPlot = "extension.svg";

    /// <summary>The old-domain curve's file name.</summary>
    public const string OldDomainPlot = "extension-old.svg";

    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>
    /// Appends the section to <paramref name="directory"/>/report.md (written by <see cref="RecipeReport"/>) and writes its
    /// SVG files beside it; returns the files written.
    /// </summary>
    public static IReadOnlyList<string> AppendTo(string directory, ExtensionResults x) => AppendTo(directory, [(0, x)]);

    /// <summary>
    /// Appends the section across <paramref name="seeds"/> (each seed's extension results) to
    /// <paramref name="directory"/>/report.md and writes its SVG files beside it; returns the files written.
    /// </summary>
    public static IReadOnlyList<string> AppendTo(string directory, IReadOnlyList<(long Seed, ExtensionResults Results)> seeds)
    {
        var md = new StringBuilder();
        var files = Append(md, directory, seeds);
        File.AppendAllText(Path.Combine(directory, RecipeReport.FileName), md.ToString());
        return files;
    }

    /// <summary>Appends the section to <paramref name="md"/> and writes its SVG files into <paramref name="directory"/>; returns the files written.</summary>
    public static IReadOnlyList<string> Append(StringBuilder md, string directory, ExtensionResults x) => Append(md, directory, [(0, x)]);

    /// <summary>
    /// Appends the section across <paramref name="seeds"/> to <paramref name="md"/> and writes its SVG files into
    /// <paramref name="directory"/>; returns the files written. With one seed every cell is that seed's value; with
    /// several, the mean ± the sample standard deviation over the seeds that measured it. The domain, budgets,
    /// extensions and reference models, and their order, come from the first seed.
    /// </summary>
    public static IReadOnlyList<string> Append(StringBuilder md, string directory, IReadOnlyList<(long Seed, ExtensionResults Results)> seeds)
    {
        ArgumentNullException.ThrowIfNull(md);
        ArgumentNullException.ThrowIfNull(seeds);
        if (seeds.Count == 0) throw new ArgumentException("the extension section needs the results of at least one seed", nameof(seeds));
        var x = seeds[0].Results;
        bool several = seeds.Count > 1;
        var budgets = x.Budgets.Order().ToList();
        SeedSpread Over(Func<ExtensionResults, double?> value) =>
            SeedSpread.Of(seeds.Select(s => value(s.Results)).OfType<double>().Where(double.IsFinite));
        // The new-domain perplexity ratio - 1 of an extension to the reference extension at one budget, in one seed (validation, or test).
        double? Ratio(ExtensionResults r, string name, long budget, bool onTest = false) =>
            r.Reference is { } reference && r.At(name, budget) is { } m && r.At(reference, budget) is { } q
                ? (onTest ? r.NewTestPerplexity(m) / r.NewTestPerplexity(q) : r.NewPerplexity(m) / r.NewPerplexity(q)) - 1 : null;
        // Test columns when every seed measured the test split; otherwise a note says why there are none.
        var untested = seeds.Where(s => s.Results.TestDomains is null).Select(s => s.Seed).ToList();
        bool test = untested.Count == 0 && seeds.All(s => s.Results.TestDomains is { Count: > 0 });

        md.Append(C, $"## Extension with a new domain: `{x.Domain}`\n\n");
        md.Append(C, $"Each finetuned variant gets a new expert, branched from the seed on `{x.Domain}` (held out of every earlier stage), ")
          .Append(C, $"through the `extend` merge; each extended model is then finetuned separately for each budget on {x.NewShare:P0} `{x.Domain}` ")
          .Append(C, $"and {1 - x.NewShare:P0} old domains ({string.Join(", ", x.OldDomains)}). Old-domain perplexity is the geometric mean over the old domains; ")
          .Append("\"to new expert\" is the share of the new domain's expert assignments that went to the new expert, averaged over the MoE layers.")
          .Append(test ? " Columns marked \"validation\" are on the validation split, those marked \"test\" on the held-out test split (Data:TestFraction; never used for training or any choice)." : "");
        if (several)
            md.Append(C, $" Seeds: {string.Join(", ", seeds.Select(s => s.Seed))}; every number is the mean over the seeds ± their sample standard deviation (n - 1), ")
              .Append("the ratio to the reference is taken per seed before averaging, and \"per seed\" lists each seed's ratio.");
        md.Append("\n\n");

        // The structure does not depend on the seed: the first seed's.
        md.Append("| extension | from | router | experts | router parameters | total parameters |\n| --- | --- | --- | ---: | ---: | ---: |\n");
        foreach (var e in x.Extensions)
            md.Append(C, $"| {e.Name} | {e.From} | {e.Router}{(e.RouterOptions is { } o ? $" {o}" : "")} | {e.ExpertsBefore} -> {e.ExpertsAfter} | ")
              .Append(C, $"{e.RouterParametersBefore:N0} -> {e.RouterParametersAfter:N0} | {e.TotalParametersBefore:N0} -> {e.TotalParametersAfter:N0} |\n");
        md.Append('\n');

        var reference = x.Reference;
        if (!test)
            md.Append(untested.Count > 0
                ? $"Test perplexity of the extension: not measured; the extend stage of {(several ? $"seed(s) {string.Join(", ", untested)}" : "this run folder")} ran before PluginMoE measured the extension on the test split (run it again with `--restart extend,evaluate,report` to add the test columns). The figures below are on the validation split.\n\n"
                : "Test perplexity of the extension: not measured; this run holds no test windows (Data:TestFraction is 0, or too few documents per domain). The figures below are on the validation split.\n\n");
        md.Append(C, $"| model | budget (steps) | {x.Domain} (new), validation |").Append(test ? $" {x.Domain} (new), test |" : "")
          .Append(" old domains, validation |").Append(test ? " old domains, test |" : "").AppendJoin("", x.OldDomains.Select(d => $" {d}, validation |"))
          .Append(" to new expert |").Append(reference is null ? "" : $" new vs `{reference}`, validation |").Append(reference is not null && test ? $" new vs `{reference}`, test |" : "")
          .Append(reference is not null && several ? " per seed (validation) |" : "").Append('\n');
        md.Append("| --- | ---: | ---: |").Append(test ? " ---: |" : "").Append(" ---: |").Append(test ? " ---: |" : "").AppendJoin("", x.OldDomains.Select(_ => " ---: |")).Append(" ---: |")
          .Append(reference is null ? "" : " ---: |").Append(reference is not null && test ? " ---: |" : "").Append(reference is not null && several ? " --- |" : "").Append('\n');
        foreach (var r in x.References)
        {
            ModelResult? Of(ExtensionResults e) => e.References.FirstOrDefault(q => q.Name == r.Name);
            Row(md, x, r.Name, "-", Of, Over, share: null, relative: reference is null ? null : [], relativeTest: reference is null ? null : [], several, test);
        }
        foreach (var e in x.Extensions)
            foreach (long b in budgets)
            {
                if (!seeds.Any(s => s.Results.At(e.Name, b) is not null)) continue;
                string name = e.Name;
                long budget = b;
                ModelResult? Of(ExtensionResults r) => r.At(name, budget);
                var share = Over(r => Of(r) is { } m && r.Extensions.FirstOrDefault(i => i.Name == name) is { } info ? r.ShareTo(m, info.ExpertsAfter - 1) : null);
                var relative = reference is null ? null : seeds.Select(s => (s.Seed, Ratio(s.Results, name, budget))).ToList();
                var relativeTest = reference is null ? null : seeds.Select(s => (s.Seed, Ratio(s.Results, name, budget, onTest: true))).ToList();
                Row(md, x, name, b.ToString(C), Of, Over, share, relative, relativeTest, several, test);
            }
        md.Append('\n');

        var files = new List<string>();
        ChartSeries Curve(string name, Func<ExtensionResults, ModelResult, double> value)
        {
            var points = budgets.Select(b => (B: b, S: Over(r => r.At(name, b) is { } m ? value(r, m) : null))).Where(p => p.S.Count > 0).ToList();
            return new ChartSeries(name, [.. points.Select(p => ((double)p.B, p.S.Mean))]) { Spread = several ? [.. points.Select(p => p.S.StandardDeviation)] : null };
        }
        string band = several ? " (mean over the seeds; band: ± their standard deviation)" : "";
        File.WriteAllText(Path.Combine(directory, NewDomainPlot), SvgChart.Lines($"New-domain perplexity after extension ({x.Domain})", "finetuning budget (steps)", $"{x.Domain} perplexity{band}",
            [.. x.Extensions.Select(e => Curve(e.Name, (r, m) => r.NewPerplexity(m)))]));
        files.Add(NewDomainPlot);
        File.WriteAllText(Path.Combine(directory, OldDomainPlot), SvgChart.Lines("Old-domain perplexity after extension (geometric mean)", "finetuning budget (steps)", $"old-domain perplexity{band}",
            [.. x.Extensions.Select(e => Curve(e.Name, (r, m) => r.OldPerplexity(m)))]));
        files.Add(OldDomainPlot);
        string spread = several ? " (mean over the seeds, the band ± their standard deviation)" : "";
        md.Append(C, $"New-domain perplexity against finetuning budget, per extension{spread}:\n\n![extension curve]({NewDomainPlot})\n\n");
        md.Append(C, $"Old-domain perplexity against finetuning budget{spread}:\n\n![extension old domains]({OldDomainPlot})\n\n");
        return files;
    }

    // One row: the model's new-domain, old-domain (validation, and with test the test split's beside each) and
    // per-old-domain validation perplexity, its share to the new expert (null: not an extension), and its new-domain
    // ratio to the reference per seed (null: no reference column; empty: none here), on validation and (with test) test.
    private static void Row(StringBuilder md, ExtensionResults x, string name, string budget, Func<ExtensionResults, ModelResult?> of,
        Func<Func<ExtensionResults, double?>, SeedSpread> over, SeedSpread? share, IReadOnlyList<(long Seed, double? Ratio)>? relative,
        IReadOnlyList<(long Seed, double? Ratio)>? relativeTest, bool several, bool test)
    {
        md.Append(C, $"| {name} | {budget} |")
          .Append(Cell(over(r => of(r) is { } m ? r.NewPerplexity(m) : null), "F3"))
          .Append(test ? Cell(over(r => of(r) is { } m ? r.NewTestPerplexity(m) : null), "F3") : "")
          .Append(Cell(over(r => of(r) is { } m ? r.OldPerplexity(m) : null), "F3"))
          .Append(test ? Cell(over(r => of(r) is { } m ? r.OldTestPerplexity(m) : null), "F3") : "")
          .AppendJoin("", x.OldDomains.Select(d => Cell(over(r => of(r) is { } m && m.Perplexity.TryGetValue(d, out var p) ? p : null), "F3")))
          .Append(share is { } s ? Cell(s, "P1") : " - |");
        if (relative is not null)
        {
            md.Append(RatioCell(relative));
            if (test) md.Append(RatioCell(relativeTest ?? []));
            if (several)
                md.Append(relative.Count == 0 || relative.All(r => r.Ratio is null) ? " - |"
                    : $" {string.Join(", ", relative.Select(r => string.Create(C, $"{r.Seed}: {(r.Ratio is { } v && double.IsFinite(v) ? Signed(v) : "-")}")))} |");
        }
        md.Append('\n');
    }

    // The mean (± std over several seeds) of the per-seed ratios, as a signed percentage.
    private static string RatioCell(IReadOnlyList<(long Seed, double? Ratio)> relative)
    {
        var ratio = SeedSpread.Of(relative.Select(r => r.Ratio).OfType<double>().Where(double.IsFinite));
        return ratio.Count == 0 ? " - |"
            : ratio.Count == 1 ? string.Create(C, $" {Signed(ratio.Mean)} |")
            : string.Create(C, $" {Signed(ratio.Mean)} ± {ratio.StandardDeviation * 100:0.0} |");
    }

    private static string Cell(SeedSpread value, string format) => value.Count == 0 ? " - |" : $" {value.Format(format)} |";

    // A ratio - 1 as a signed percentage.
    private static string Signed(double ratio) => string.Create(C, $"{ratio * 100:+0.0;-0.0;0.0}%");
}
