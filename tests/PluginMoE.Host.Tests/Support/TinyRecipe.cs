// A recipe profile small enough to run every stage in seconds: three domains of synthetic text, a 1-layer dense
// seed of width 16, two variants (nexus, linear) and the baselines; optionally a fourth domain (perl) held out for the
// extend stage, with the given Recipe:Extend section.
namespace PluginMoE.Host.Tests.Support;

public static class TinyRecipe
{
    public static readonly string[] Stages = ["seed", "branch", "embed", "upcycle", "finetune", "baselines", "evaluate", "report"];

    public static readonly string[] ExtendStages = ["seed", "branch", "embed", "upcycle", "finetune", "extend", "baselines", "evaluate", "report"];

    // Writes text/{domain}/* and profiles/recipe.json into the working directory; with extendJson, also text/perl/* as
    // a fourth domain, the extend stage and "Extend": extendJson in the Recipe section.
    public static void Write(CliHarness cli, int branchSteps = 4, string? extendJson = null)
    {
        var stages = extendJson is null ? Stages : ExtendStages;
        for (int i = 0; i < 4 && extendJson is not null; i++)
            cli.Write($"text/perl/m{i}.pm", string.Concat(Enumerable.Repeat($"sub f{i} {{ my ($x) = @_; return $x * {i}; }}\n", 20)));
        for (int i = 0; i < 4; i++)
        {
            cli.Write($"text/prose/p{i}.txt", string.Concat(Enumerable.Repeat($"the quick brown fox {i} jumps over the lazy dog. ", 20)));
            cli.Write($"text/code/c{i}.py", string.Concat(Enumerable.Repeat($"def f{i}(x):\n    return x * {i} + 1\n\n", 20)));
            cli.Write($"text/numbers/n{i}.txt", string.Concat(Enumerable.Range(0, 120).Select(k => $"{k * (i + 3) % 97}, ")));
        }
        cli.Write("profiles/recipe.json", $$"""
            {
              "Run": { "Seed": 7, "Stages": [ {{string.Join(", ", stages.Select(s => $"\"{s}\""))}} ] },
              "Model": { "HiddenSize": 16, "IntermediateSize": 24, "Layers": 1, "Heads": 2, "KeyValueHeads": 2, "MaxPositions": 32 },
              "Data": {
                "Loader": "text-folder",
                "LoaderOptions": { "Domains": { "prose": [ "../text/prose/*.txt" ], "code": [ "../text/code/*.py" ], "numbers": [ "../text/numbers/*.txt" ]{{(extendJson is null ? "" : ", \"perl\": [ \"../text/perl/*.pm\" ]")}} } },
                "ValidationFraction": 0.25,
                "MaxValidationWindows": 4
              },
              "Training": { "BatchSize": 2, "SequenceLength": 16, "LearningRate": 0.01, "WarmupSteps": 1, "EvalBatchSize": 4 },
              "Recipe": {
                "SeedSteps": 4, "BranchSteps": {{branchSteps}}, "FinetuneSteps": 3,
                "Variants": {
                  "nexus": { "Merge": "nexus", "Router": "nexus", "TopK": 1 },
                  "linear": { "Merge": "btx", "Router": "linear", "TopK": 2 }
                }{{(extendJson is null ? "" : $", \"Extend\": {extendJson}")}}
              }
            }
            """);
    }
}
