// The whole recipe (seed, branch, embed, upcycle, finetune, baselines, evaluate, report) on a tiny configuration:
// the report has every table and plot, the SVGs are well-formed with one series per model/variant, the tables a
// row per model; a second invocation skips every stage; a host killed (kill -9) partway and rerun ends with the
// same results as an uninterrupted run.
using System.Diagnostics;
using System.Xml.Linq;
using PluginMoE.Core.Recipe;
using PluginMoE.Host.Tests.Cli;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Recipe;

[Collection(CliCollection.Name)]
public sealed class RecipeRunTests : IDisposable
{
    private static readonly string[] Models = ["seed", "linear", "nexus", "average", "dense-continued"];   // variants in name order

    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private string Dir(string name) => Path.Combine(_cli.WorkingDirectory, name);

    [Fact]
    public void WholeRecipe_WritesAReportWithEveryTableAndPlot_AndARerunSkipsEveryStage()
    {
        TinyRecipe.Write(_cli);
        var (code, output, error) = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "run1");
        Assert.True(code == 0, $"exit {code}\n{output}\n{error}");

        string report = Path.Combine(Dir("run1"), "report");
        string md = File.ReadAllText(Path.Combine(report, "report.md"));
        foreach (var heading in new[] { "## Validation perplexity per domain", "## Relative to `linear`", "## Parameters and throughput", "## Domain embeddings: cosine similarity", "## Plots" })
            Assert.Contains(heading, md, StringComparison.Ordinal);
        foreach (var model in Models)
            Assert.Equal(3, md.Split('\n').Count(l => l.StartsWith($"| {model} |", StringComparison.Ordinal)));   // perplexity, relative, parameters
        foreach (var domain in new[] { "code", "numbers", "prose" })
            Assert.Contains($"| {domain} |", md, StringComparison.Ordinal);                                       // a row of the cosine matrix

        Assert.Equal(["average", "dense-continued", "linear", "nexus"], Series(Path.Combine(report, "loss.svg")).Order());
        Assert.Equal(Models, Series(Path.Combine(report, "perplexity.svg")));
        foreach (var variant in new[] { "nexus", "linear" })
        {
            string heatmap = Path.Combine(report, $"routing-{variant}-layer0.svg");
            Assert.Equal(["code", "numbers", "prose"], Series(heatmap).Order());
            Assert.Contains($"![routing {variant} layer 0](routing-{variant}-layer0.svg)", md, StringComparison.Ordinal);
        }

        var results = RecipeResults.Load(Path.Combine(Dir("run1"), "evaluate"));
        Assert.Equal(Models, results.Models.Select(m => m.Name));
        Assert.All(results.Models, m => Assert.All(m.Perplexity.Values, p => Assert.True(double.IsFinite(p) && p > 1)));
        var nexus = results.Models.Single(m => m.Name == "nexus");
        var linear = results.Models.Single(m => m.Name == "linear");
        // Nexus keeps the seed's FFN as a shared expert and adds the router's hypernetwork: more parameters than BTX.
        Assert.True(nexus.TotalParameters > linear.TotalParameters);
        // Shares of each domain's expert assignments, per layer: they sum to 1.
        Assert.All(results.Models.Where(m => m.Kind == "variant"), m => Assert.All(m.Routing.Values, layers => Assert.Equal(1.0, layers.Single().Fractions.Sum(), 6)));

        var again = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "run1");
        Assert.Equal(0, again.Code);
        foreach (var stage in TinyRecipe.Stages)
            Assert.Contains($"stage '{stage}' is already complete", again.Out + again.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Upcycle_WithoutVariants_IsRefusedNamingTheSetting()
    {
        TinyRecipe.Write(_cli);
        var (code, output, error) = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "run1", "--stages", "upcycle",
            "--Recipe:Variants:nexus:Merge=", "--Recipe:Variants:nexus:Router=");
        Assert.NotEqual(0, code);
        Assert.Contains("Recipe:Variants:nexus:Merge: value (empty) is not allowed: a merge strategy plugin is required", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KilledPartwayAndRerun_EndsWithTheResultsOfAnUninterruptedRun()
    {
        TinyRecipe.Write(_cli, branchSteps: 30);
        var whole = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "whole");
        Assert.True(whole.Code == 0, whole.Out + whole.Error);

        // Kill the host (SIGKILL) once a randomly chosen unit of work is finished: a later unit is then in progress.
        string[] marks = ["seed/dense", "branch/code", "branch/numbers", "upcycle/linear"];
        string mark = Path.Combine(Dir("killed"), marks[Random.Shared.Next(marks.Length)]);
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = _cli.WorkingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "pluginmoe.dll"), "run", "--profile", "profiles/recipe.json", "--run-dir", "killed" }) info.ArgumentList.Add(a);
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("PLUGINMOE", StringComparison.OrdinalIgnoreCase)).ToList()) info.Environment.Remove(key);
        using (var child = Process.Start(info)!)
        {
            var stdout = child.StandardOutput.ReadToEndAsync();
            var stderr = child.StandardError.ReadToEndAsync();
            var clock = Stopwatch.StartNew();
            while (!Directory.Exists(mark) && !child.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2)) Thread.Sleep(20);
            Assert.True(Directory.Exists(mark) || child.HasExited, $"{mark} did not appear within 2 minutes");
            if (!child.HasExited) child.Kill(entireProcessTree: true);
            child.WaitForExit();
            _ = await stdout + await stderr;
        }
        var rerun = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "killed");
        Assert.True(rerun.Code == 0, rerun.Out + rerun.Error);

        var expected = RecipeResults.Load(Path.Combine(Dir("whole"), "evaluate"));
        var actual = RecipeResults.Load(Path.Combine(Dir("killed"), "evaluate"));
        Assert.Equal(expected.Models.Select(m => m.Name), actual.Models.Select(m => m.Name));
        foreach (var (e, a) in expected.Models.Zip(actual.Models))
            foreach (var (domain, p) in e.Perplexity)
                Assert.Equal(p, a.Perplexity[domain], 9);
        Assert.Empty(Directory.GetDirectories(Dir("killed"), "*.partial", SearchOption.AllDirectories));
    }

    // The data-name of every <g class="series"> of an SVG file, which must parse as XML.
    private static List<string> Series(string svg)
    {
        var doc = XDocument.Load(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(ns + "svg", doc.Root!.Name);
        return doc.Descendants(ns + "g").Where(g => (string?)g.Attribute("class") == "series").Select(g => (string)g.Attribute("data-name")!).ToList();
    }
}
