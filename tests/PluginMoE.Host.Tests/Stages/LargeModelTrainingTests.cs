// Training a model of the size that crashed with OutOfMemoryException at 0.6 GB resident (hardening issue #7):
// d=256, 4 layers, 8 heads, 8 experts, sequence 256, batch 8. The crash needed the GC settings of
// Directory.Build.props (segments GC, 128 MiB LOH threshold) together with a gen0 budget that the runtime
// derives from the CPU's cache size; the child process pins that budget to 32 MiB, the machine where it crashed,
// so that this test fails with those settings on any machine.
using System.Diagnostics;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Stages;

public sealed class LargeModelTrainingTests
{
    [Fact]
    public async Task A_d256_4_layer_8_expert_model_trains_at_sequence_256_batch_8_under_a_small_gen0_budget()
    {
        using var work = new TempFolder();
        // Enough text for windows of 257 bytes in two domains.
        for (int i = 0; i < 4; i++)
        {
            work.Write($"text/prose/p{i}.txt", string.Concat(Enumerable.Repeat($"the quick brown fox {i} jumps over the lazy dog. ", 80)));
            work.Write($"text/code/c{i}.py", string.Concat(Enumerable.Repeat($"def f{i}(x):\n    return x * {i} + 1\n\n", 80)));
        }
        var profile = work.Write("profiles/large.json", """
            {
              "Run": { "Seed": 1 },
              "Model": {
                "HiddenSize": 256, "IntermediateSize": 1024, "Layers": 4, "Heads": 8, "KeyValueHeads": 8, "MaxPositions": 256,
                "Moe": { "Experts": 8, "TopK": 2, "Router": "linear" }
              },
              "Data": {
                "Loader": "text-folder",
                "LoaderOptions": { "Domains": { "prose": [ "../text/prose/*.txt" ], "code": [ "../text/code/*.py" ] } },
                "ValidationFraction": 0.25,
                "MaxValidationWindows": 2
              },
              "Training": {
                "Steps": 2, "BatchSize": 8, "SequenceLength": 256, "LearningRate": 0.001, "WarmupSteps": 1,
                "EvalEvery": 1000, "CheckpointEvery": 1000
              }
            }
            """);

        // The host as users run it: its own runtimeconfig.json carries the repository's GC settings.
        var host = Path.Combine(AppContext.BaseDirectory, "pluginmoe.dll");
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = work.Path, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { host, "run", "--profile", profile, "--run-dir", work.Combine("run") }) info.ArgumentList.Add(a);
        info.Environment["DOTNET_GCgen0size"] = "0x2000000";
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var output = stdout + await stderr;

        Assert.True(process.ExitCode == 0, $"pluginmoe run exited with {process.ExitCode}:\n{output}");
        Assert.Contains("train: 2/2", output, StringComparison.Ordinal);
        Assert.DoesNotContain("OutOfMemory", output, StringComparison.Ordinal);
    }
}
