// The extension section of the recipe's report (Nexus, "Extending with a new expert", its Table 4 and Figure 4 in
// form): per extended variant and finetuning budget the new-domain and old-domain validation perplexity, the share of
// the new domain's tokens routed to the new expert, the router parameters the extension added, and two SVG curves
// (new-domain and old-domain perplexity against budget, one series per extension).
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
    public static IReadOnlyList<string> AppendTo(string directory, ExtensionResults x)
    {
        var md = new StringBuilder();
        var files = Append(md, directory, x);
        File.AppendAllText(Path.Combine(directory, RecipeReport.FileName), md.ToString());
        return files;
    }

    /// <summary>Appends the section to <paramref name="md"/> and writes its SVG files into <paramref name="directory"/>; returns the files written.</summary>
    public static IReadOnlyList<string> Append(StringBuilder md, string directory, ExtensionResults x)
    {
        ArgumentNullException.ThrowIfNull(md);
        ArgumentNullException.ThrowIfNull(x);
        var budgets = x.Budgets.Order().ToList();
        md.Append(C, $"## Extension with a new domain: `{x.Domain}`\n\n");
        md.Append(C, $"Each finetuned variant gets a new expert, branched from the seed on `{x.Domain}` (held out of every earlier stage), ")
          .Append(C, $"through the `extend` merge; each extended model is then finetuned separately for each budget on {x.NewShare:P0} `{x.Domain}` ")
          .Append(C, $"and {1 - x.NewShare:P0} old domains ({string.Join(", ", x.OldDomains)}). Old-domain perplexity is the geometric mean over the old domains; ")
          .Append("\"to new expert\" is the share of the new domain's expert assignments that went to the new expert, averaged over the MoE layers.\n\n");

        md.Append("| extension | from | router | experts | router parameters | total parameters |\n| --- | --- | --- | ---: | ---: | ---: |\n");
        foreach (var e in x.Extensions)
            md.Append(C, $"| {e.Name} | {e.From} | {e.Router}{(e.RouterOptions is { } o ? $" {o}" : "")} | {e.ExpertsBefore} -> {e.ExpertsAfter} | ")
              .Append(C, $"{e.RouterParametersBefore:N0} -> {e.RouterParametersAfter:N0} | {e.TotalParametersBefore:N0} -> {e.TotalParametersAfter:N0} |\n");
        md.Append('\n');

        var reference = x.Reference;
        md.Append(C, $"| model | budget (steps) | {x.Domain} (new) | old domains |").AppendJoin("", x.OldDomains.Select(d => $" {d} |"))
          .Append(" to new expert |").Append(reference is null ? "" : $" new vs `{reference}` |").Append('\n');
        md.Append("| --- | ---: | ---: | ---: |").AppendJoin("", x.OldDomains.Select(_ => " ---: |")).Append(" ---: |").Append(reference is null ? "" : " ---: |").Append('\n');
        foreach (var r in x.References)
            Row(md, x, r.Name, "-", r, double.NaN, reference is null ? null : double.NaN);
        foreach (var e in x.Extensions)
            foreach (long b in budgets)
                if (x.At(e.Name, b) is { } m)
                {
                    double? relative = reference is null ? null
                        : x.At(reference, b) is { } q ? x.NewPerplexity(m) / x.NewPerplexity(q) - 1 : double.NaN;
                    Row(md, x, e.Name, b.ToString(C), m, x.ShareTo(m, e.ExpertsAfter - 1), relative);
                }
        md.Append('\n');

        var files = new List<string>();
        var series = x.Extensions.Select(e => (e.Name, Points: budgets.Select(b => (B: b, M: x.At(e.Name, b))).Where(p => p.M is not null).ToList())).ToList();
        File.WriteAllText(Path.Combine(directory, NewDomainPlot), SvgChart.Lines($"New-domain perplexity after extension ({x.Domain})", "finetuning budget (steps)", $"{x.Domain} perplexity",
            [.. series.Select(s => new ChartSeries(s.Name, [.. s.Points.Select(p => ((double)p.B, x.NewPerplexity(p.M!)))]))]));
        files.Add(NewDomainPlot);
        File.WriteAllText(Path.Combine(directory, OldDomainPlot), SvgChart.Lines("Old-domain perplexity after extension (geometric mean)", "finetuning budget (steps)", "old-domain perplexity",
            [.. series.Select(s => new ChartSeries(s.Name, [.. s.Points.Select(p => ((double)p.B, x.OldPerplexity(p.M!)))]))]));
        files.Add(OldDomainPlot);
        md.Append(C, $"New-domain perplexity against finetuning budget, per extension:\n\n![extension curve]({NewDomainPlot})\n\n");
        md.Append(C, $"Old-domain perplexity against finetuning budget:\n\n![extension old domains]({OldDomainPlot})\n\n");
        return files;
    }

    private static void Row(StringBuilder md, ExtensionResults x, string name, string budget, ModelResult m, double share, double? relative)
    {
        md.Append(C, $"| {name} | {budget} |{Number(x.NewPerplexity(m))}{Number(x.OldPerplexity(m))}")
          .AppendJoin("", x.OldDomains.Select(d => Number(m.Perplexity.GetValueOrDefault(d, double.NaN))))
          .Append(double.IsFinite(share) ? string.Create(C, $" {share:P1} |") : " - |");
        if (relative is { } r) md.Append(double.IsFinite(r) ? string.Create(C, $" {r * 100:+0.0;-0.0;0.0}% |") : " - |");
        md.Append('\n');
    }

    private static string Number(double v) => double.IsFinite(v) ? string.Create(C, $" {v:F3} |") : " - |";
}
