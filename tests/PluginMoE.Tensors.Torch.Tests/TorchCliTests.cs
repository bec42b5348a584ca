// The README's torch-cpu commands run as a user runs them: the block marked <!-- test: ...; TorchCliTests --> builds
// the host with the LibTorch backend (its `dotnet build` line, as written, in the checkout: once per test run, and
// MSBuild's incremental build makes it quick when nothing changed), then its `dotnet run ... --no-build --` lines
// train (with the marker's step count), score (the README's first 2 KB) and generate on torch-cpu from a scratch
// working directory. The same
// built host shows the errors for a missing backend folder (naming the build flag) and for cuda without CUDA.
using System.Text.RegularExpressions;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Tensors.Torch.Tests;

public sealed class TorchCliTests
{
    internal const string Marker = "TorchCliTests";

    private static readonly Lazy<string> HostBuild = new(BuildHost);

    private static ShellBlock Block() => Assert.Single(
        ShellCommands.Blocks(File.ReadAllText(Repository.Readme)), b => b.Marker?.Contains(Marker, StringComparison.Ordinal) == true);

    /// <summary>Runs the block's `dotnet build` line in the checkout; returns its output.</summary>
    private static string BuildHost()
    {
        var build = Assert.Single(Block().Lines, l => l.StartsWith("dotnet build ", StringComparison.Ordinal));
        var words = ShellCommands.Split(build);
        Assert.Contains("-p:IncludeTorchBackend=true", words);
        var (code, output) = Dotnet(Repository.Root, [.. words.Skip(1)]);
        Assert.True(code == 0, $"`{build}` exited with {code}:\n{output}");
        return output;
    }

    /// <summary>The block's `dotnet run --project src/Host ... --no-build -- ARGS` lines as dotnet arguments for any working directory.</summary>
    private static List<(string Line, List<string> Args)> RunLines()
    {
        var lines = new List<(string, List<string>)>();
        foreach (var line in Block().Lines.Where(l => l.StartsWith("dotnet run ", StringComparison.Ordinal)))
        {
            var words = ShellCommands.Split(line);
            int project = words.IndexOf("--project");
            Assert.True(project > 0 && words[project + 1] == "src/Host" && words.Contains("--no-build"), $"unexpected README line: {line}");
            words[project + 1] = Path.Combine(Repository.Root, "src", "Host");
            lines.Add((line, words.Skip(1).ToList()));
        }
        return lines;
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void ReadmeTorchCommands_TrainScoreAndGenerateOnTorchCpu()
    {
        _ = HostBuild.Value;
        var block = Block();
        int steps = int.Parse(Regex.Match(block.Marker!, @"steps=(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var work = Directory.CreateTempSubdirectory("pluginmoe-torch-cli-").FullName;
        try
        {
            // score reads README.md: its first 2 KB here, so that the test scores a few windows, not the whole file.
            File.WriteAllText(Path.Combine(work, "README.md"), File.ReadAllText(Repository.Readme)[..2048]);
            var outputs = new Dictionary<string, string>();
            foreach (var (line, args) in RunLines())
            {
                int sep = args.IndexOf("--");
                string verb = args[sep + 1];
                if (verb == "run") args.Add($"--Training:Steps={steps}");
                var (code, output) = Dotnet(work, args);
                Assert.True(code == 0, $"`{line}` exited with {code}:\n{output}");
                Assert.Contains("--Run:Device=torch-cpu", args);
                outputs[verb] = output;
            }
            Assert.Equal(["generate", "run", "score"], outputs.Keys.Order());
            Assert.Contains("device: torch-cpu (LibTorch backend", outputs["run"]);
            Assert.True(File.Exists(Path.Combine(work, "runs", "train-small", "train", "model", "config.json")), outputs["run"]);
            Assert.Matches(@"perplexity", outputs["score"]);
            Assert.Contains("device: torch-cpu", outputs["score"]);
            Assert.Contains("def ", outputs["generate"]);
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void WithoutTheBackendFolder_TheErrorNamesTheBuildFlag_AndCudaNamesThePackage()
    {
        _ = HostBuild.Value;
        var (line, args) = RunLines().First(r => r.Args[r.Args.IndexOf("--") + 1] == "run"); // fails before training starts
        var work = Directory.CreateTempSubdirectory("pluginmoe-torch-cli-").FullName;
        try
        {
            File.Copy(Repository.Readme, Path.Combine(work, "README.md"));
            string missing = Path.Combine(work, "no-backend");
            var (code, output) = Dotnet(work, [.. args, $"--Run:BackendDirectory={missing}"]);
            Assert.True(code == 2, $"`{line}` with a missing backend folder exited with {code}:\n{output}");
            Assert.Contains($"Run:Device needs the LibTorch backend, but '{Path.Combine(missing, "PluginMoE.Tensors.Torch.dll")}' does not exist", output);
            Assert.Contains("dotnet build src/Host -c Release -p:IncludeTorchBackend=true", output);

            var cuda = args.Select(a => a == "--Run:Device=torch-cpu" ? "--Run:Device=cuda" : a).ToList();
            (code, output) = Dotnet(work, cuda);
            Assert.True(code == 2, $"cuda exited with {code}:\n{output}");
            Assert.Contains("Run:Device = 'cuda': device 'cuda' needs LibTorch with CUDA", output);
            Assert.Contains("reference the package TorchSharp-cuda-linux", output);
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static (int Code, string Output) Dotnet(string workingDirectory, IReadOnlyList<string> args) =>
        PluginMoE.Host.Tests.Samples.DotnetCli.Exec(workingDirectory, new Dictionary<string, string>(), args);
}
