// Several seeds in one run (Run:Seeds): each seed runs the recipe in its own run folder seed-<s>/, and the report
// across the seeds has mean ± sample-standard-deviation cells (validation, test and the extension section with its test
// columns beside the validation ones, whose ratios to the reference are also listed per seed; results from before the
// extension's test split get a note) and plots with the spread (band, error bars, ± under heatmap
// cells) whose values are the statistics of the per-seed results; a rerun or a run on a seed folder resumes.
using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using PluginMoE.Core.Recipe;
using PluginMoE.Host.Tests.Cli;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Recipe;

[Collection(CliCollection.Name)]
public sealed partial class MultiSeedTests : IDisposable
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private string Dir(params string[] parts) => Path.Combine([_cli.WorkingDirectory, .. parts]);

    // Mean and sample standard deviation, computed here rather than with the code under test.
    private static (double Mean, double Std) Stats(IReadOnlyList<double> v)
    {
        double mean = v.Sum() / v.Count;
        return (mean, Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Count - 1)));
    }

    [Fact]
    public void TwoSeeds_RunInTheirOwnFolders_AndTheReportShowsMeanAndSpreadOfThePerSeedResults()
    {
        TinyRecipe.Write(_cli, extendJson: """{ "Domain": "perl", "BranchSteps": 2, "Budgets": [0, 2] }""");
        var (code, output, error) = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "multi", "--Run:Seeds=1,2");
        Assert.True(code == 0, $"exit {code}\n{output}\n{error}");
        Assert.Contains("report across 2 seeds:", output, StringComparison.Ordinal);

        var perSeed = new[] { 1, 2 }.Select(s => RecipeResults.Load(Dir("multi", $"seed-{s}", "evaluate"))).ToList();
        Assert.False(Directory.Exists(Dir("multi", "evaluate")));   // the seeds' stages live in their folders only
        // The seeds differ (else the spread would say nothing), and each seed folder records its own seed.
        Assert.NotEqual(perSeed[0].Models[0].Perplexity["code"], perSeed[1].Models[0].Perplexity["code"]);
        Assert.Contains("\"Seed\": 2", File.ReadAllText(Dir("multi", "seed-2", "config.resolved.json")), StringComparison.Ordinal);
        // Each seed's own report is the single-seed report.
        Assert.DoesNotContain("±", File.ReadAllText(Dir("multi", "seed-1", "report", "report.md")), StringComparison.Ordinal);

        string report = Dir("multi", "report");
        string md = File.ReadAllText(Path.Combine(report, "report.md"));
        Assert.Contains("Seeds: 1, 2.", md, StringComparison.Ordinal);
        var domains = perSeed[0].Domains;
        foreach (var model in perSeed[0].Models.Select(m => m.Name))
        {
            var row = md.Split('\n').First(l => l.StartsWith($"| {model} |", StringComparison.Ordinal)).Split('|', StringSplitOptions.TrimEntries)[3..^1];
            var expected = domains.Select(d => perSeed.Select(r => r.Models.Single(m => m.Name == model).Perplexity[d]).ToList())
                .Append(perSeed.Select(r => r.Models.Single(m => m.Name == model).MeanPerplexity).ToList())
                .Select(v => Stats(v)).Select(s => string.Create(C, $"{s.Mean:F3} ± {s.Std:F3}"));
            Assert.Equal(expected, row);
        }
        // Relative numbers: per seed against that seed's reference, then mean ± std in percentage points.
        var nexusRow = md.Split('\n').Where(l => l.StartsWith("| nexus |", StringComparison.Ordinal)).ElementAt(1).Split('|', StringSplitOptions.TrimEntries)[2..^1];
        var ratio = Stats(perSeed.Select(r => r.Models.Single(m => m.Name == "nexus").MeanPerplexity / r.Models.Single(m => m.Name == "linear").MeanPerplexity - 1).ToList());
        Assert.Equal(string.Create(C, $"{ratio.Mean * 100:+0.0;-0.0;0.0}% ± {ratio.Std * 100:0.0}"), nexusRow[^1]);
        // Parameter counts do not depend on the seed: shown once; throughput is a mean ± std.
        var parameters = md.Split('\n').SkipWhile(l => !l.StartsWith("## Parameters", StringComparison.Ordinal)).First(l => l.StartsWith("| nexus |", StringComparison.Ordinal));
        Assert.StartsWith(string.Create(C, $"| nexus | {perSeed[0].Models.Single(m => m.Name == "nexus").TotalParameters:N0} | "), parameters, StringComparison.Ordinal);
        Assert.Matches(@" ± [\d,]+ \|$", parameters);

        // Bars: each bar's value is the mean over the seeds, its error bar the standard deviation.
        var bars = XDocument.Load(Path.Combine(report, "perplexity.svg"));
        foreach (var series in bars.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "series"))
        {
            string model = (string)series.Attribute("data-name")!;
            var rects = series.Elements(Svg + "rect").ToList();
            var errors = series.Elements(Svg + "path").Where(p => (string?)p.Attribute("class") == "spread").ToList();
            Assert.Equal(domains.Count, rects.Count);
            Assert.Equal(domains.Count, errors.Count);
            for (int i = 0; i < domains.Count; i++)
            {
                var s = Stats(perSeed.Select(r => r.Models.Single(m => m.Name == model).Perplexity[domains[i]]).ToList());
                Assert.Equal(domains[i], (string)rects[i].Attribute("data-category")!);
                Assert.Equal(s.Mean, double.Parse((string)rects[i].Attribute("data-value")!, C), 10);
                Assert.Equal(s.Std, double.Parse((string)errors[i].Attribute("data-spread")!, C), 10);
            }
        }
        // Loss curves: one band per curve; routing heatmaps: a ± under every cell.
        var loss = XDocument.Load(Path.Combine(report, "loss.svg"));
        Assert.Equal(4, loss.Descendants(Svg + "polygon").Count(p => (string?)p.Attribute("class") == "spread"));
        var heatmap = XDocument.Load(Path.Combine(report, "routing-nexus-layer0.svg"));
        var cells = heatmap.Descendants(Svg + "text").Where(t => (string?)t.Attribute("class") == "spread").ToList();
        int experts = perSeed[0].Models.Single(m => m.Name == "nexus").Routing["code"][0].Fractions.Length;
        Assert.Equal(domains.Count * experts, cells.Count);
        var share = Stats(perSeed.Select(r => r.Models.Single(m => m.Name == "nexus").Routing[domains[0]][0].Fractions[0]).ToList());
        Assert.Equal(share.Std, double.Parse((string)cells[0].Attribute("data-spread")!, C), 10);

        // Test perplexity: its own table of mean ± std over the seeds.
        var testRow = md.Split('\n').SkipWhile(l => !l.StartsWith("## Test perplexity", StringComparison.Ordinal)).First(l => l.StartsWith("| nexus |", StringComparison.Ordinal))
            .Split('|', StringSplitOptions.TrimEntries)[3..^1];
        Assert.Equal(perSeed[0].TestDomains!.Select(d => Stats(perSeed.Select(r => r.Models.Single(m => m.Name == "nexus").TestPerplexity[d]).ToList()))
            .Select(t => string.Create(C, $"{t.Mean:F3} ± {t.Std:F3}")), testRow[..^1]);

        // The extension across the seeds: a row per extension and budget with mean ± std, the ratio to the reference
        // extension per seed before averaging and each seed's ratio; curves with a band per extension.
        var extensions = new[] { 1, 2 }.Select(s => ExtensionResults.Load(Dir("multi", $"seed-{s}", "evaluate"))!).ToList();
        Assert.Contains("## Extension with a new domain: `perl`", md, StringComparison.Ordinal);
        Assert.All(extensions, x => Assert.Equal(["code", "numbers", "perl", "prose"], x.TestDomains));
        Assert.Contains("| model | budget (steps) | perl (new), validation | perl (new), test | old domains, validation | old domains, test | code, validation |", md, StringComparison.Ordinal);
        foreach (var name in new[] { "linear", "nexus" })
            foreach (long budget in new long[] { 0, 2 })
            {
                var row = Assert.Single(md.Split('\n'), l => l.StartsWith($"| {name} | {budget} |", StringComparison.Ordinal)).Split('|', StringSplitOptions.TrimEntries)[3..^1];
                var nw = Stats(extensions.Select(x => x.NewPerplexity(x.At(name, budget)!)).ToList());
                var old = Stats(extensions.Select(x => x.OldPerplexity(x.At(name, budget)!)).ToList());
                // Test beside validation: new (validation, test), old (validation, test), then the old domains' validation.
                var newTest = Stats(extensions.Select(x => x.NewTestPerplexity(x.At(name, budget)!)).ToList());
                var oldTest = Stats(extensions.Select(x => x.OldTestPerplexity(x.At(name, budget)!)).ToList());
                Assert.Equal(string.Create(C, $"{nw.Mean:F3} ± {nw.Std:F3}"), row[0]);
                Assert.Equal(string.Create(C, $"{newTest.Mean:F3} ± {newTest.Std:F3}"), row[1]);
                Assert.Equal(string.Create(C, $"{old.Mean:F3} ± {old.Std:F3}"), row[2]);
                Assert.Equal(string.Create(C, $"{oldTest.Mean:F3} ± {oldTest.Std:F3}"), row[3]);
                var toNew = Stats(extensions.Select(x => x.ShareTo(x.At(name, budget)!, 3)).ToList());
                Assert.Equal(string.Create(C, $"{toNew.Mean:P1} ± {toNew.Std:P1}"), row[7]);
                var ratios = extensions.Select(x => x.NewPerplexity(x.At(name, budget)!) / x.NewPerplexity(x.At("linear", budget)!) - 1).ToList();
                var r = Stats(ratios);
                Assert.Equal(string.Create(C, $"{r.Mean * 100:+0.0;-0.0;0.0}% ± {r.Std * 100:0.0}"), row[8]);
                var testRatio = Stats(extensions.Select(x => x.NewTestPerplexity(x.At(name, budget)!) / x.NewTestPerplexity(x.At("linear", budget)!) - 1).ToList());
                Assert.Equal(string.Create(C, $"{testRatio.Mean * 100:+0.0;-0.0;0.0}% ± {testRatio.Std * 100:0.0}"), row[9]);
                Assert.Equal(string.Create(C, $"1: {ratios[0] * 100:+0.0;-0.0;0.0}%, 2: {ratios[1] * 100:+0.0;-0.0;0.0}%"), row[10]);
            }
        foreach (var svg in new[] { ExtensionReport.NewDomainPlot, ExtensionReport.OldDomainPlot })
        {
            var doc = XDocument.Load(Path.Combine(report, svg));
            var series = doc.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "series").ToList();
            Assert.Equal(["linear", "nexus"], series.Select(g => (string)g.Attribute("data-name")!));
            foreach (var g in series)
            {
                Assert.Equal(2, ((string)g.Element(Svg + "polyline")!.Attribute("points")!).Split(' ').Length);   // one point per budget
                var band = g.Elements(Svg + "polygon").Single(p => (string?)p.Attribute("class") == "spread");
                string name = (string)g.Attribute("data-name")!;
                var expected = new long[] { 0, 2 }.Select(b => Stats(extensions.Select(x => svg == ExtensionReport.NewDomainPlot
                    ? x.NewPerplexity(x.At(name, b)!) : x.OldPerplexity(x.At(name, b)!)).ToList()).Std);
                var actual = ((string)band.Attribute("data-spread")!).Split(' ').Select(v => double.Parse(v, C)).ToList();
                Assert.Equal(2, actual.Count);
                foreach (var (want, got) in expected.Zip(actual))
                    Assert.Equal(want, got, 10);
            }
        }

        // A rerun has nothing to do; a run on a seed folder runs that seed alone (here: already complete).
        var again = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "multi", "--Run:Seeds=1,2");
        Assert.True(again.Code == 0, again.Error);
        Assert.Contains("nothing to do", again.Out, StringComparison.Ordinal);
        var one = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", Dir("multi", "seed-2"), "--Run:Seeds=1,2");
        Assert.True(one.Code == 0, one.Error);
        Assert.Contains("nothing to do", one.Out, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Dir("multi", "seed-2", "seed-1")));

        // A seed interrupted before its last stages (its evaluate and report outputs gone, as after a kill) resumes: only
        // that seed's unfinished stages run, and the report across seeds comes out the same.
        Directory.Delete(Dir("multi", "seed-2", "evaluate"), recursive: true);
        Directory.Delete(Dir("multi", "seed-2", "report"), recursive: true);
        Directory.Delete(report, recursive: true);
        var resumed = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "multi", "--Run:Seeds=1,2");
        Assert.True(resumed.Code == 0, resumed.Error);
        Assert.Contains("stage 'finetune' is already complete", resumed.Out + resumed.Error, StringComparison.Ordinal);
        Assert.Equal(Numbers(md), Numbers(File.ReadAllText(Path.Combine(report, "report.md"))));
    }

    [Fact]
    public void OneSeed_WritesTheSingleSeedReport_WithoutSpread()
    {
        var results = new RecipeResults
        {
            Domains = ["a", "b"],
            Reference = "x",
            Models =
            [
                new ModelResult { Name = "x", Kind = "variant", Perplexity = new() { ["a"] = 2, ["b"] = 3 } },
                new ModelResult { Name = "y", Kind = "variant", Perplexity = new() { ["a"] = 4, ["b"] = 6 } },
            ],
        };
        using var folder = new TempFolder();
        RecipeReport.Write(folder.Path, "t", results, new Dictionary<string, LossCurve>());
        string md = File.ReadAllText(Path.Combine(folder.Path, RecipeReport.FileName));
        Assert.Contains("| y | variant | 4.000 | 6.000 | 4.899 |", md, StringComparison.Ordinal);
        Assert.Contains("| y | +100.0% | +100.0% | +100.0% |", md, StringComparison.Ordinal);
        Assert.DoesNotContain("±", md, StringComparison.Ordinal);
        Assert.DoesNotContain("class=\"spread\"", File.ReadAllText(Path.Combine(folder.Path, "perplexity.svg")), StringComparison.Ordinal);
    }

    [Fact]
    public void SeedSpread_IsTheMeanAndSampleStandardDeviation()
    {
        var s = SeedSpread.Of([1.0, 2.0, 3.0, 6.0]);
        Assert.Equal(3.0, s.Mean, 12);
        Assert.Equal(Math.Sqrt(14.0 / 3), s.StandardDeviation, 12);
        Assert.Equal((1.0, 6.0, 4), (s.Min, s.Max, s.Count));
        Assert.Equal("3.00 ± 2.16", s.Format("F2"));
        Assert.Equal("5.00", SeedSpread.Of([5.0]).Format("F2"));
    }

    [Fact]
    public void RepeatedSeeds_AreRefusedNamingTheSetting()
    {
        TinyRecipe.Write(_cli);
        var (code, output, error) = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "bad", "--Run:Seeds=1,2,1");
        Assert.Equal(2, code);
        Assert.Contains("Run:Seeds: value [1,2,1] is not allowed: each seed may appear once; repeated: 1", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public void ExtensionAcrossSeeds_IsTheMeanAndSpreadOfEachSeed_WithAnErrorBarWhereACurveHasOnePoint()
    {
        // Two seeds, one budget: new-domain perplexity, old domains a and b, routing to the new expert (index 2).
        static ModelResult M(double nw, double a, double b, double share) => new()
        {
            Perplexity = new() { ["new"] = nw, ["a"] = a, ["b"] = b },
            Routing = new() { ["new"] = [new LayerRouting { Layer = 0, Fractions = [1 - share, 0, share] }] },
        };
        static ExtensionResults X(ModelResult nexus, ModelResult linear, double seed) => new()
        {
            Domain = "new", OldDomains = ["a", "b"], Budgets = [5], NewShare = 0.5, Reference = "linear",
            References = [new ModelResult { Name = "seed", Perplexity = new() { ["new"] = seed, ["a"] = 2, ["b"] = 2 } }],
            Extensions =
            [
                new ExtensionInfo { Name = "linear", From = "linear", Router = "linear", ExpertsBefore = 2, ExpertsAfter = 3 },
                new ExtensionInfo { Name = "nexus", From = "nexus", Router = "nexus", ExpertsBefore = 2, ExpertsAfter = 3 },
            ],
            Points = [new ExtensionPoint { Extension = "linear", Budget = 5, Result = linear }, new ExtensionPoint { Extension = "nexus", Budget = 5, Result = nexus }],
        };
        var seeds = new (long, ExtensionResults)[]
        {
            (11, X(M(8, 4, 9, 0.5), M(10, 4, 4, 0.25), 20)),
            (12, X(M(6, 1, 4, 0.7), M(12, 1, 1, 0.35), 30)),
        };
        using var folder = new TempFolder();
        File.WriteAllText(Path.Combine(folder.Path, RecipeReport.FileName), "");
        ExtensionReport.AppendTo(folder.Path, seeds);
        var lines = File.ReadAllText(Path.Combine(folder.Path, RecipeReport.FileName)).Split('\n');

        // nexus: new 8 and 6; old sqrt(4*9) = 6 and sqrt(1*4) = 2; share 50% and 70%; ratio 8/10 - 1 = -20% and 6/12 - 1 = -50%.
        var stdNew = Math.Sqrt(2.0);
        Assert.Contains(string.Create(C, $"| nexus | 5 | 7.000 ± {stdNew:F3} | 4.000 ± {Math.Sqrt(8.0):F3} | 2.500 ± {Math.Sqrt(4.5):F3} | 6.500 ± {Math.Sqrt(12.5):F3} | 60.0 % ± {Math.Sqrt(0.02):P1} | -35.0% ± {Math.Sqrt(450.0):0.0} | 11: -20.0%, 12: -50.0% |"), lines);
        Assert.Contains("| linear | 5 | 11.000 ± 1.414 | 2.500 ± 2.121 | 2.500 ± 2.121 | 2.500 ± 2.121 | 30.0 % ± 7.1 % | 0.0% ± 0.0 | 11: 0.0%, 12: 0.0% |", lines);
        Assert.Contains("| seed | - | 25.000 ± 7.071 | 2.000 ± 0.000 | 2.000 ± 0.000 | 2.000 ± 0.000 | - | - | - |", lines);
        // Results from before the extension measured the test split (no TestDomains): validation columns only, and a note naming the seeds.
        Assert.Contains("Test perplexity of the extension: not measured; the extend stage of seed(s) 11, 12 ran before PluginMoE measured the extension on the test split " +
            "(run it again with `--restart extend,evaluate,report` to add the test columns). The figures below are on the validation split.", lines);
        Assert.DoesNotContain(lines, l => l.Contains(", test |", StringComparison.Ordinal));

        // One budget: each series is one point with an error bar of ± the standard deviation.
        var doc = XDocument.Load(Path.Combine(folder.Path, ExtensionReport.NewDomainPlot));
        var nexus = doc.Descendants(Svg + "g").Single(g => (string?)g.Attribute("data-name") == "nexus");
        Assert.Single(nexus.Elements(Svg + "circle"));
        Assert.Equal(stdNew, double.Parse((string)nexus.Elements(Svg + "path").Single(p => (string?)p.Attribute("class") == "spread").Attribute("data-spread")!, C), 12);
    }

    // The numbers of a report's perplexity tables (those before the parameter table, whose throughput is a timing), in order.
    private static List<string> Numbers(string md) =>
        [.. md.Split('\n').TakeWhile(l => !l.StartsWith("## Parameters", StringComparison.Ordinal)).SelectMany(l => Number().Matches(l).Select(m => m.Value))];

    [GeneratedRegex(@"[-+]?\d[\d,]*\.?\d*")]
    private static partial Regex Number();
}
