// The recipe's extend stage on a tiny configuration: a held-out fourth domain (perl) becomes a new expert of every
// finetuned variant (n -> n + 1), nexus without new router parameters, the linear router reset or expanded; each
// extension is finetuned per budget and evaluated on every domain, on the validation and the test split; the report gains the extension tables and curves;
// a run folder made without the extension keeps its earlier stages when the profile gains one (evaluate and report run
// again to take it in); an interrupted unit is redone from its start with the same result.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Recipe;
using PluginMoE.Host.Tests.Cli;
using PluginMoE.Host.Tests.Support;
using PluginMoE.Tensors;

namespace PluginMoE.Host.Tests.Recipe;

[Collection(CliCollection.Name)]
public sealed class ExtendStageTests : IDisposable
{
    private const string Extend = """
        {
          "Domain": "perl", "BranchSteps": 3, "Budgets": [0, 2, 4], "Reference": "linear-reset",
          "Variants": {
            "nexus": {},
            "linear-reset": { "From": "linear", "RouterOptions": { "ExtendMode": "reset" } },
            "linear-expand": { "From": "linear", "RouterOptions": { "ExtendMode": "expand" } }
          }
        }
        """;

    private static readonly string[] Extensions = ["linear-expand", "linear-reset", "nexus"];   // in name order, as configuration binds them

    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private string Dir(params string[] parts) => Path.Combine([_cli.WorkingDirectory, .. parts]);

    [Fact]
    public void Extend_AddsTheHeldOutDomainAsOneMoreExpert_NexusWithoutNewRouterParameters_AndTheReportHasItsTablesAndCurves()
    {
        TinyRecipe.Write(_cli, extendJson: Extend);
        var (code, output, error) = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "run", "--Training:EvalEvery=2");
        Assert.True(code == 0, $"exit {code}\n{output}\n{error}");

        // The trainer's evaluation points (every 2 steps and after the last) are kept on the loss curves and drawn in the report.
        Assert.Equal([2L, 3L], LossCurve.Load(Dir("run", "finetune", "nexus"))!.Validation.Select(p => p.Step));
        var lossSeries = XDocument.Load(Dir("run", "report", "loss.svg")).Descendants((XNamespace)"http://www.w3.org/2000/svg" + "g")
            .Where(g => (string?)g.Attribute("class") == "series").Select(g => (string)g.Attribute("data-name")!).ToList();
        foreach (var model in new[] { "average", "dense-continued", "linear", "nexus" })
            Assert.Contains($"{model} (validation)", lossSeries);

        // Every stage before extend left the new domain out: the embeddings, the variants' experts, the main evaluation.
        Assert.DoesNotContain("perl", JsonDocument.Parse(File.ReadAllText(Dir("run", "embed", "embeddings.json"))).RootElement.GetProperty("Domains").EnumerateArray().Select(e => e.GetString()));
        Assert.False(Directory.Exists(Dir("run", "branch", "perl")));
        Assert.Equal(["code", "numbers", "prose"], RecipeResults.Load(Dir("run", "evaluate")).Domains);
        Assert.Equal(["code", "numbers", "prose"], RecipeResults.Load(Dir("run", "evaluate")).TestDomains);   // the test split holds it out too
        foreach (var variant in new[] { "nexus", "linear" })
            Assert.Equal(3, CheckpointStore.Load(Dir("run", "finetune", variant, "model")).Config.Moe!.NumExperts);
        Assert.Contains("perl", JsonDocument.Parse(File.ReadAllText(Dir("run", "extend", "embeddings.json"))).RootElement.GetProperty("Domains").EnumerateArray().Select(e => e.GetString()));

        // n -> n + 1 experts in every extension and budget.
        foreach (var name in Extensions)
        {
            Assert.Equal(4, CheckpointStore.Load(Dir("run", "extend", name, "extended", "model")).Config.Moe!.NumExperts);
            Assert.Equal(4, CheckpointStore.Load(Dir("run", "extend", name, "budget-4", "model")).Config.Moe!.NumExperts);
        }
        var results = ExtensionResults.Load(Dir("run", "evaluate"))!;
        Assert.Equal("perl", results.Domain);
        Assert.Equal([0L, 2L, 4L], results.Budgets);
        Assert.Equal(Extensions, results.Extensions.Select(e => e.Name));
        Assert.Equal(9, results.Points.Count);
        Assert.All(results.Points, p => Assert.True(double.IsFinite(results.NewPerplexity(p.Result)) && double.IsFinite(results.OldPerplexity(p.Result))));
        var info = results.Extensions.ToDictionary(e => e.Name);
        // Nexus: the new expert only brings its domain embedding; the hypernetwork is shared, so no router parameter is added.
        Assert.Equal(info["nexus"].RouterParametersBefore, info["nexus"].RouterParametersAfter);
        // The linear router gains one row of width d = 16 either way.
        Assert.Equal(info["linear-reset"].RouterParametersBefore + 16, info["linear-reset"].RouterParametersAfter);
        Assert.Equal(info["linear-expand"].RouterParametersBefore + 16, info["linear-expand"].RouterParametersAfter);
        Assert.Equal(0.25, info["nexus"].Lambda, 12);   // 1/(n+1)
        Assert.Equal("linear-reset", results.Reference);
        // The test split beside validation: every extension, budget and reference measured on every domain's test windows.
        Assert.Equal(["code", "numbers", "perl", "prose"], results.TestDomains);
        Assert.All(results.Points.Select(p => p.Result).Concat(results.References), m =>
        {
            Assert.Equal(results.TestDomains, m.TestPerplexity.Keys.Order());
            Assert.All(m.TestPerplexity.Values, p => Assert.True(double.IsFinite(p) && p > 1));
        });

        // expand keeps the finetuned router's rows (the new one is their mean); reset draws all of them afresh.
        var finetuned = Gate(Dir("run", "finetune", "linear", "model"));
        var expanded = Gate(Dir("run", "extend", "linear-expand", "extended", "model"));
        var reset = Gate(Dir("run", "extend", "linear-reset", "extended", "model"));
        Assert.Equal(finetuned, expanded[..finetuned.Length]);
        for (int j = 0; j < 16; j++)
            Assert.Equal(Enumerable.Range(0, 3).Average(r => finetuned[r * 16 + j]), expanded[48 + j], 5);
        Assert.NotEqual(finetuned, reset[..finetuned.Length]);

        // The report: structure table, one row per extension and budget (and the two references), curves with one series per extension.
        string report = Dir("run", "report");
        string md = File.ReadAllText(Path.Combine(report, "report.md"));
        Assert.Contains("## Extension with a new domain: `perl`", md, StringComparison.Ordinal);
        Assert.Contains("| nexus | nexus | nexus | 3 -> 4 |", md, StringComparison.Ordinal);
        foreach (var name in Extensions)
            foreach (var budget in new[] { 0, 2, 4 })
                Assert.Single(md.Split('\n'), l => l.StartsWith($"| {name} | {budget} |", StringComparison.Ordinal));
        Assert.Single(md.Split('\n'), l => l.StartsWith("| seed | - |", StringComparison.Ordinal));
        Assert.Contains("| model | budget (steps) | perl (new), validation | perl (new), test | old domains, validation | old domains, test | code, validation | numbers, validation | prose, validation | to new expert | new vs `linear-reset`, validation | new vs `linear-reset`, test |", md, StringComparison.Ordinal);
        var nexus4 = results.At("nexus", 4)!;
        var reset4 = results.At("linear-reset", 4)!;
        Assert.StartsWith(string.Create(CultureInfo.InvariantCulture,
            $"| nexus | 4 | {results.NewPerplexity(nexus4):F3} | {results.NewTestPerplexity(nexus4):F3} | {results.OldPerplexity(nexus4):F3} | {results.OldTestPerplexity(nexus4):F3} | {nexus4.Perplexity["code"]:F3} |"),
            Assert.Single(md.Split('\n'), l => l.StartsWith("| nexus | 4 |", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.EndsWith(string.Create(CultureInfo.InvariantCulture,
            $" {(results.NewTestPerplexity(nexus4) / results.NewTestPerplexity(reset4) - 1) * 100:+0.0;-0.0;0.0}% |"),
            md.Split('\n').Single(l => l.StartsWith("| nexus | 4 |", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Single(md.Split('\n'), l => l.StartsWith("| perl expert (dense) | - |", StringComparison.Ordinal));
        Assert.Contains("![extension curve](extension.svg)", md, StringComparison.Ordinal);
        foreach (var svg in new[] { "extension.svg", "extension-old.svg" })
        {
            var doc = XDocument.Load(Path.Combine(report, svg));
            XNamespace ns = "http://www.w3.org/2000/svg";
            Assert.Equal(ns + "svg", doc.Root!.Name);
            var series = doc.Descendants(ns + "g").Where(g => (string?)g.Attribute("class") == "series").ToList();
            Assert.Equal(Extensions, series.Select(g => (string)g.Attribute("data-name")!));
            Assert.All(series, g => Assert.Equal(3, ((string)g.Element(ns + "polyline")!.Attribute("points")!).Split(' ').Length));   // one point per budget
        }

        // Extension results written before the test split (no TestDomains, no test figures) still give the report, which says so.
        var json = JsonNode.Parse(File.ReadAllText(Dir("run", "evaluate", ExtensionResults.FileName)))!.AsObject();
        json.Remove("TestDomains");
        File.WriteAllText(Dir("run", "evaluate", ExtensionResults.FileName), json.ToJsonString());
        var old = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "run", "--stages", "report", "--restart", "report");
        Assert.True(old.Code == 0, old.Out + old.Error);
        string oldMd = File.ReadAllText(Path.Combine(report, "report.md"));
        Assert.Contains("Test perplexity of the extension: not measured; the extend stage of this run folder ran before PluginMoE measured the extension on the test split", oldMd, StringComparison.Ordinal);
        Assert.Contains("| model | budget (steps) | perl (new), validation | old domains, validation |", oldMd, StringComparison.Ordinal);
        Assert.Single(oldMd.Split('\n'), l => l.StartsWith("| nexus | 4 |", StringComparison.Ordinal));
    }

    [Fact]
    public void AProfileThatGainsAnExtension_KeepsTheStagesAlreadyRun_AndAnInterruptedUnitIsRedoneWithTheSameResult()
    {
        // A run folder made before the profile had the extension (three domains, no Extend section) ...
        TinyRecipe.Write(_cli);
        var first = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "run");
        Assert.True(first.Code == 0, first.Out + first.Error);
        var before = RecipeResults.Load(Dir("run", "evaluate"));

        // ... continues with them once perl and the extension are added: extend runs, evaluate and report take it in.
        TinyRecipe.Write(_cli, extendJson: """{ "Domain": "perl", "BranchSteps": 3, "Budgets": [0, 3] }""");
        var second = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "run");
        Assert.True(second.Code == 0, second.Out + second.Error);
        foreach (var stage in new[] { "seed", "branch", "embed", "upcycle", "finetune", "baselines" })
            Assert.Contains($"stage '{stage}' is already complete", second.Out + second.Error, StringComparison.Ordinal);
        foreach (var stage in new[] { "extend", "evaluate", "report" })
            Assert.DoesNotContain($"stage '{stage}' is already complete", second.Out + second.Error, StringComparison.Ordinal);
        var after = RecipeResults.Load(Dir("run", "evaluate"));
        Assert.Equal(before.Models.Select(m => m.MeanPerplexity), after.Models.Select(m => m.MeanPerplexity));
        Assert.Contains("## Extension with a new domain: `perl`", File.ReadAllText(Dir("run", "report", "report.md")), StringComparison.Ordinal);
        Assert.Equal("linear", ExtensionResults.Load(Dir("run", "extend"))!.Reference);   // default: the extension named like the reference variant
        var expected = JsonDocument.Parse(File.ReadAllText(Dir("run", "extend", "linear", "budget-3", "eval.json"))).RootElement.GetProperty("Perplexity").Clone();

        // A unit killed midway: its .partial folder is left, the unit and the stage's completion mark are not there.
        Directory.Delete(Dir("run", "extend", "linear", "budget-3"), recursive: true);
        Directory.CreateDirectory(Dir("run", "extend", "linear", "budget-3.partial", "model"));
        File.WriteAllText(Dir("run", "extend", "linear", "budget-3.partial", "model", "config.json"), "{ half written");
        File.Delete(Dir("run", "extend", "completed.json"));
        var rerun = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "run", "--stages", "extend");
        Assert.True(rerun.Code == 0, rerun.Out + rerun.Error);
        var actual = JsonDocument.Parse(File.ReadAllText(Dir("run", "extend", "linear", "budget-3", "eval.json"))).RootElement.GetProperty("Perplexity");
        foreach (var domain in new[] { "code", "numbers", "perl", "prose" })
            Assert.Equal(expected.GetProperty(domain).GetDouble(), actual.GetProperty(domain).GetDouble());
        Assert.DoesNotContain("new expert 'perl'", rerun.Out + rerun.Error, StringComparison.Ordinal);   // finished units are not redone
        Assert.Empty(Directory.GetDirectories(Dir("run"), "*.partial", SearchOption.AllDirectories));
    }

    [Fact]
    public void Extend_WithoutItsSection_OrWithADomainTheDataLacks_IsRefusedNamingTheSetting()
    {
        TinyRecipe.Write(_cli);
        var missing = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "run", "--stages", "extend");
        Assert.Equal(2, missing.Code);
        Assert.Contains("Recipe:Extend: the extend stage needs this section: at least Recipe:Extend:Domain", missing.Error, StringComparison.Ordinal);

        var unknown = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "run2", "--stages", "seed", "--Recipe:Extend:Domain=cobol");
        Assert.Equal(2, unknown.Code);
        Assert.Contains("Recipe:Extend:Domain: 'cobol' is not a domain of the data (domains: code, numbers, prose)", unknown.Error, StringComparison.Ordinal);

        var budgets = _cli.Run("run", "--profile", "profiles/recipe.json", "--run-dir", "run3", "--stages", "seed",
            "--Recipe:Extend:Domain=prose", "--Recipe:Extend:Budgets:0=-1", "--Recipe:Extend:NewShare=0", "--Recipe:Extend:Variants:x:From=y");
        Assert.Equal(2, budgets.Code);
        Assert.Contains("Extend:Budgets: -1 is not allowed: budgets are finetuning steps, 0 or more", budgets.Error, StringComparison.Ordinal);
        Assert.Contains("Extend:NewShare: 0 is not allowed", budgets.Error, StringComparison.Ordinal);
        Assert.Contains("Extend:Variants:x:From: 'y' is not a variant of Recipe:Variants; the variants are linear, nexus", budgets.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void MixtureWeights_GiveTheNewDomainItsShare_AndTheOldDomainsTheRestInProportion()
    {
        var x = new ExtendSettings { Domain = "perl", NewShare = 0.5 };
        var w = x.MixtureWeights(new Dictionary<string, double> { ["a"] = 300, ["b"] = 100 });
        Assert.Equal(0.5, w["perl"], 12);
        Assert.Equal(0.375, w["a"], 12);
        Assert.Equal(0.125, w["b"], 12);
    }

    // The layer-0 linear router's weight, row-major (experts x d).
    private static float[] Gate(string model) =>
        CheckpointStore.Load(model).Tensors.Single(kv => kv.Key.EndsWith(".gate.weight", StringComparison.Ordinal)).Value.to(ScalarType.Float32).contiguous().data<float>().ToArray();
}
