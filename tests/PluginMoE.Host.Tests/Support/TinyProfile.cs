// A profile small enough to train in about a second: two domains of synthetic text, a 1-layer MoE of width 16.
namespace PluginMoE.Host.Tests.Support;

public static class TinyProfile
{
    // Writes text/{domain}/* and profiles/tiny.json (data paths are relative to the profile folder) into the working directory.
    public static void Write(CliHarness cli, bool moe = true)
    {
        for (int i = 0; i < 4; i++)
        {
            cli.Write($"text/prose/p{i}.txt", string.Concat(Enumerable.Repeat($"the quick brown fox {i} jumps over the lazy dog. ", 20)));
            cli.Write($"text/code/c{i}.py", string.Concat(Enumerable.Repeat($"def f{i}(x):\n    return x * {i} + 1\n\n", 20)));
        }
        cli.Write("profiles/tiny.json", $$"""
            {
              "Run": { "Seed": 7 },
              "Model": {
                "HiddenSize": 16, "IntermediateSize": 24, "Layers": 1, "Heads": 2, "KeyValueHeads": 2, "MaxPositions": 32,
                "Moe": { "Experts": {{(moe ? 2 : 0)}}, "TopK": 1, "Router": "linear" }
              },
              "Data": {
                "Loader": "text-folder",
                "LoaderOptions": { "Domains": { "prose": [ "../text/prose/*.txt" ], "code": [ "../text/code/*.py" ] } },
                "ValidationFraction": 0.25,
                "MaxValidationWindows": 4
              },
              "Training": {
                "Steps": 4, "BatchSize": 2, "SequenceLength": 16, "LearningRate": 0.01, "WarmupSteps": 1,
                "EvalEvery": 2, "CheckpointEvery": 2, "EvalBatchSize": 4
              },
              "Telemetry": { "MetricExportIntervalMs": 100 }
            }
            """);
    }
}
