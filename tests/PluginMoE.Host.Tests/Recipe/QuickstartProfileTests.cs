// The shipped quickstart profile itself (its stages, variants, embedder, reference and baselines as written) runs end
// to end in the test suite on a tiny configuration given on the command line (a 1-layer model of width 16, a few steps
// per stage, three small local text folders in place of the system's files), and its report has every table and plot;
// and a profile that extends it runs the same recipe on a JSONL corpus (the README's "your own corpus").
using System.Xml.Linq;
using PluginMoE.Core.Recipe;
using PluginMoE.Host.Tests.Cli;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Recipe;

[Collection(CliCollection.Name)]
public sealed class QuickstartProfileTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    /// <summary>The tiny configuration (model, batch, budgets) both tests give on the command line.</summary>
    private static readonly string[] TinyOverrides =
    [
        "--Data:ValidationFraction=0.25", "--Data:MaxValidationWindows=4",
        "--Model:HiddenSize=16", "--Model:IntermediateSize=24", "--Model:Layers=1", "--Model:Heads=2", "--Model:KeyValueHeads=2", "--Model:MaxPositions=32",
        "--Training:BatchSize=2", "--Training:SequenceLength=16", "--Training:EvalBatchSize=4",
        "--Recipe:SeedSteps=4", "--Recipe:BranchSteps=3", "--Recipe:FinetuneSteps=3",
    ];

    [Fact]
    public void Quickstart_OnATinyConfiguration_RunsEveryStage_AndItsReportHasEveryTableAndPlot()
    {
        _cli.Write("profiles/quickstart.json", File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "profiles", "quickstart.json")));
        for (int i = 0; i < 4; i++)
        {
            _cli.Write($"text/python/m{i}.py", string.Concat(Enumerable.Repeat($"def f{i}(x):\n    return x * {i} + 1\n\n", 20)));
            _cli.Write($"text/licenses/l{i}.txt", string.Concat(Enumerable.Repeat($"permission is hereby granted {i}, free of charge, to any person. ", 20)));
            _cli.Write($"text/headers/h{i}.h", string.Concat(Enumerable.Repeat($"extern int f{i}(const char *s, size_t n);\n", 20)));
        }
        string text = Path.Combine(_cli.WorkingDirectory, "text");
        var (code, output, error) = _cli.Run(["run", "--profile", "profiles/quickstart.json", "--run-dir", "qs",
            $"--Data:LoaderOptions:Domains:python:0={text}/python/*.py", $"--Data:LoaderOptions:Domains:licenses:0={text}/licenses/*.txt",
            $"--Data:LoaderOptions:Domains:c-headers:0={text}/headers/*.h", .. TinyOverrides]);
        Assert.True(code == 0, $"exit {code}\n{output}\n{error}");

        string report = Path.Combine(_cli.WorkingDirectory, "qs", "report");
        string md = File.ReadAllText(Path.Combine(report, RecipeReport.FileName));
        foreach (var heading in new[] { "## Validation perplexity per domain", "## Relative to `linear`", "## Test perplexity per domain", "## Parameters and throughput", "## Domain embeddings: cosine similarity", "## Plots" })
            Assert.Contains(heading, md, StringComparison.Ordinal);
        var results = RecipeResults.Load(Path.Combine(_cli.WorkingDirectory, "qs", "evaluate"));
        Assert.Equal(["seed", "linear", "nexus", "average", "dense-continued"], results.Models.Select(m => m.Name));
        Assert.Equal(["c-headers", "licenses", "python"], results.TestDomains);
        foreach (var model in results.Models)
            Assert.Equal(4, md.Split('\n').Count(l => l.StartsWith($"| {model.Name} |", StringComparison.Ordinal)));   // validation, relative, test, parameters
        XNamespace svg = "http://www.w3.org/2000/svg";
        foreach (var file in new[] { "loss.svg", "perplexity.svg", "routing-nexus-layer0.svg", "routing-linear-layer0.svg" })
            Assert.Contains(XDocument.Load(Path.Combine(report, file)).Descendants(svg + "g"), g => (string?)g.Attribute("class") == "series");
    }

    [Fact]
    public void Quickstart_OnAJsonlCorpus_ThroughAProfileThatExtendsIt_RunsEveryStageOnTheCorpusDomains()
    {
        // The README's "your own corpus" recipe: a profile extends quickstart, switches the loader to jsonl, removes the
        // text-folder options it inherits (null) and names the corpus; domains come from each line's field.
        _cli.Write("profiles/quickstart.json", File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "profiles", "quickstart.json")));
        var lines = new List<string>();
        for (int i = 0; i < 6; i++)
            foreach (var (domain, text) in new[]
                     {
                         ("code", $"def f{i}(x):\n    return x * {i} + 1\n"),
                         ("law", $"permission is hereby granted {i}, free of charge, to any person obtaining a copy. "),
                         ("recipes", $"whisk {i} eggs with sugar, fold in the flour and bake for {20 + i} minutes. "),
                     })
                lines.Add(System.Text.Json.JsonSerializer.Serialize(new { text = string.Concat(Enumerable.Repeat(text, 12)), meta = new { source = domain } }));
        _cli.Write("profiles/data/corpus.jsonl", string.Join("\n", lines) + "\n");
        _cli.Write("profiles/my-corpus.json", """
            {
              "Extends": "quickstart",
              "Data": {
                "Loader": "jsonl",
                "LoaderOptions": {
                  "Domains": null, "MaxFilesPerDomain": null, "MaxBytesPerFile": null,
                  "Paths": [ "data/corpus.jsonl" ],
                  "DomainField": "meta.source"
                }
              }
            }
            """);
        var (code, output, error) = _cli.Run(["run", "--profile", "profiles/my-corpus.json", "--run-dir", "mine", .. TinyOverrides]);
        Assert.True(code == 0, $"exit {code}\n{output}\n{error}");

        var results = RecipeResults.Load(Path.Combine(_cli.WorkingDirectory, "mine", "evaluate"));
        Assert.Equal(["seed", "linear", "nexus", "average", "dense-continued"], results.Models.Select(m => m.Name));
        Assert.Equal(["code", "law", "recipes"], results.TestDomains);
        foreach (var domain in new[] { "code", "law", "recipes" })
            Assert.True(File.Exists(Path.Combine(_cli.WorkingDirectory, "mine", "branch", domain, "model", "config.json")), $"no expert for '{domain}'");
    }
}
