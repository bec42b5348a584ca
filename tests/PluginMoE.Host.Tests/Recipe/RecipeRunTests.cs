// The whole recipe (seed, branch, embed, upcycle, finetune, baselines, evaluate, report) on a tiny configuration:
// the report has every table and plot, the SVGs are well-formed with one series per model/variant, the tables a
// row per model; test perplexity has its own table; a second invocation skips every stage; an evaluate stage stopped
// partway measures only the models it had not reached; a results.json from before the test split still gives a
// report, which says so; a host killed (kill -9) partway and rerun ends with the same results as an uninterrupted run;
// a failing stage names the stage, the variant and why, and keeps its finished units.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Recipe;
using PluginMoE.Core.Recipe.Runs;
using PluginMoE.Core.Recipe.Stages;
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
        foreach (var heading in new[] { "## Validation perplexity per domain", "## Relative to `linear`", "## Test perplexity per domain", "## Parameters and throughput", "## Domain embeddings: cosine similarity", "## Plots" })
            Assert.Contains(heading, md, StringComparison.Ordinal);
        foreach (var model in Models)
            Assert.Equal(4, md.Split('\n').Count(l => l.StartsWith($"| {model} |", StringComparison.Ordinal)));   // perplexity, relative, test, parameters
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

        // The test split is measured beside validation, in its own table after the validation tables.
        Assert.Equal(["code", "numbers", "prose"], results.TestDomains);
        Assert.All(results.Models, m => Assert.Equal(results.TestDomains, m.TestPerplexity.Keys.Order()));
        Assert.All(results.Models, m => Assert.All(m.TestPerplexity.Values, p => Assert.True(double.IsFinite(p) && p > 1)));
        string testRow = md.Split('\n').SkipWhile(l => !l.StartsWith("## Test perplexity", StringComparison.Ordinal)).First(l => l.StartsWith("| nexus |", StringComparison.Ordinal));
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"| nexus | variant | {nexus.TestPerplexity["code"]:F3} | {nexus.TestPerplexity["numbers"]:F3} | {nexus.TestPerplexity["prose"]:F3} | {nexus.MeanTestPerplexity:F3} |"), testRow);
        Assert.True(md.IndexOf("## Relative to", StringComparison.Ordinal) < md.IndexOf("## Test perplexity", StringComparison.Ordinal));

        // Throughput: training tokens/s from each trained model's loss curve (the seed has none here), evaluation tokens/s from evaluate.
        var throughput = md.Split('\n').SkipWhile(l => !l.StartsWith("## Parameters", StringComparison.Ordinal)).ToList();
        var curve = LossCurve.Load(Path.Combine(Dir("run1"), "finetune", "nexus"))!;
        Assert.EndsWith(string.Create(CultureInfo.InvariantCulture, $" {curve.Tokens / curve.Seconds:N0} | {nexus.TokensPerSecond:N0} |"), throughput.First(l => l.StartsWith("| nexus |", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Matches(@"^\| seed \|( [\d,]+ \|){3} - \| [\d,]+ \|$", throughput.First(l => l.StartsWith("| seed |", StringComparison.Ordinal)));

        var again = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "run1");
        Assert.Equal(0, again.Code);
        foreach (var stage in TinyRecipe.Stages)
            Assert.Contains($"stage '{stage}' is already complete", again.Out + again.Error, StringComparison.Ordinal);

        // An evaluate stage stopped after some models keeps their measurements and takes only the others.
        string evaluate = Path.Combine(Dir("run1"), "evaluate");
        File.Delete(Path.Combine(evaluate, RecipeResults.FileName));
        File.Delete(Path.Combine(evaluate, RunFolder.CompletedFile));
        File.Delete(Path.Combine(evaluate, EvaluateStage.ModelsFolder, "nexus.json"));
        var resumed = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "run1", "--stages", "evaluate");
        Assert.True(resumed.Code == 0, resumed.Out + resumed.Error);
        Assert.Contains("evaluate: seed: already measured", resumed.Out + resumed.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("evaluate: nexus: already measured", resumed.Out + resumed.Error, StringComparison.Ordinal);
        var again2 = RecipeResults.Load(evaluate);
        foreach (var (before, after) in results.Models.Zip(again2.Models))
        {
            Assert.Equal(before.Name, after.Name);
            Assert.Equal(before.Perplexity, after.Perplexity);
            Assert.Equal(before.TestPerplexity, after.TestPerplexity);
        }

        // A run folder whose evaluate stage predates the test split (results.json without it) still gets its report, which says so.
        var old = JsonNode.Parse(File.ReadAllText(Path.Combine(evaluate, RecipeResults.FileName)))!.AsObject();
        old.Remove("TestDomains");
        foreach (var m in old["Models"]!.AsArray()) m!.AsObject().Remove("TestPerplexity");
        File.WriteAllText(Path.Combine(evaluate, RecipeResults.FileName), old.ToJsonString());
        var oldReport = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "run1", "--stages", "report", "--restart", "report");
        Assert.True(oldReport.Code == 0, oldReport.Out + oldReport.Error);
        Assert.Contains("## Test perplexity per domain\n\nNot measured: the evaluate stage of this run folder ran before PluginMoE reported the test split; " +
            "run it again with `--stages evaluate,report --restart evaluate,report` to add the test table.", File.ReadAllText(Path.Combine(report, "report.md")), StringComparison.Ordinal);
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
    public void SparseUpcycleVariant_BuildsFromTheSeedAlone_WithDropUpcycling()
    {
        TinyRecipe.Write(_cli);
        var (code, output, error) = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "sparse", "--stages", "seed,branch,embed,upcycle",
            "--Recipe:Baselines=false",
            "--Recipe:Variants:sparse:Merge=sparse-upcycle", "--Recipe:Variants:sparse:Router=linear", "--Recipe:Variants:sparse:MergeOptions:DropFraction=0.5",
            "--Recipe:Variants:copies:Merge=sparse-upcycle", "--Recipe:Variants:copies:Router=linear", "--Recipe:Variants:copies:Experts=4");
        Assert.True(code == 0, output + error);
        var seed = CheckpointStore.Load(Path.Combine(Dir("sparse"), "seed", "dense", "model"));
        var seedUp = seed.Tensors[CanonicalNames.Mlp(0) + "up_proj.weight"];

        var sparse = CheckpointStore.Load(Path.Combine(Dir("sparse"), "upcycle", "sparse", "model"));
        Assert.Equal(3, sparse.Config.Moe!.NumExperts); // one per domain, like the other variants
        for (int j = 0; j < 3; j++)
        {
            var rows = sparse.Tensors[CanonicalNames.Expert(0, j) + "up_proj.weight"];
            int same = Enumerable.Range(0, (int)rows.size(0)).Count(r => (rows.narrow(0, r, 1) - seedUp.narrow(0, r, 1)).abs().max().ToDouble() == 0);
            Assert.Equal(12, same); // Drop-Upcycling redrew exactly half of the 24 inner units
        }
        var copies = CheckpointStore.Load(Path.Combine(Dir("sparse"), "upcycle", "copies", "model"));
        Assert.Equal(4, copies.Config.Moe!.NumExperts);
        Assert.Equal(0, (copies.Tensors[CanonicalNames.Expert(0, 3) + "up_proj.weight"] - seedUp).abs().max().ToDouble());

        (code, output, error) = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "bad", "--stages", "seed,branch,embed,upcycle",
            "--Recipe:Variants:linear:Experts=4");
        Assert.Equal(2, code);
        Assert.Contains("Recipe:Variants:linear:Experts: merge strategy 'btx' has one expert per domain", output + error);
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

    [Fact]
    public void AFailingStage_NamesTheStageTheVariantAndWhy_AndKeepsEveryFinishedOutput()
    {
        TinyRecipe.Write(_cli);
        var first = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "run1", "--stages", "seed,branch,embed,upcycle");
        Assert.True(first.Code == 0, first.Out + first.Error);
        // The upcycled nexus model's weights turned to NaN: its finetuning diverges at the first step.
        string nexus = Path.Combine(Dir("run1"), "upcycle", "nexus", "model");
        var checkpoint = CheckpointStore.Load(nexus);
        var poisoned = checkpoint.Tensors.ToDictionary(kv => kv.Key, kv => kv.Key.EndsWith("embed_tokens.weight", StringComparison.Ordinal) ? kv.Value * double.NaN : kv.Value, StringComparer.Ordinal);
        Assert.Single(poisoned.Keys, k => k.EndsWith("embed_tokens.weight", StringComparison.Ordinal));
        CheckpointStore.Save(nexus, checkpoint with { Tensors = poisoned });

        var (code, output, error) = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "run1", "--stages", "finetune");
        Assert.NotEqual(0, code);
        Assert.Contains("stage 'finetune': 'nexus' on the mixture: training stopped at step 1: the loss is NaN", output + error, StringComparison.Ordinal);
        // The units finished before it (in name order: average, linear) are kept; the stage is not marked complete.
        foreach (var done in new[] { "average", "linear" })
            Assert.True(File.Exists(Path.Combine(Dir("run1"), "finetune", done, "model", "config.json")), done);
        Assert.False(Directory.Exists(Path.Combine(Dir("run1"), "finetune", "nexus")));
        Assert.False(File.Exists(Path.Combine(Dir("run1"), "finetune", RunFolder.CompletedFile)));
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
