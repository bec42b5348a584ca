// SLOW (pack + tool install, about twenty seconds): the README's "install the tool" block as written, with the tool
// installed into a scratch --tool-path instead of --global: the package installs from the locally packed folder,
// and the installed `pluginmoe` finds its first-party plugins, the built-in tokenizer and the quickstart profile.
using System.Diagnostics;
using PluginMoE.Host.Tests.Support;

namespace PluginMoE.Host.Tests.Samples;

public class ToolPackageTests
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    internal const string Marker = "ToolPackageTests";

    [Fact]
    [Trait("Category", "Slow")]
    public void ReadmeToolInstall_InstallsAPluginmoeThatRunsTheQuickstart()
    {
        var block = Assert.Single(ShellCommands.Blocks(File.ReadAllText(Repository.Readme)), b => b.Marker?.Contains(Marker, StringComparison.Ordinal) == true);
        var work = Directory.CreateTempSubdirectory("pluginmoe-tool-").FullName;
        try
        {
            var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(work, "packages") };
            var tools = Path.Combine(work, "tools");
            int dotnetLines = 0, cliLines = 0;
            foreach (var line in block.Lines)
            {
                var words = ShellCommands.Split(line);
                if (words[0] == "dotnet")
                {
                    // As written, except: this configuration's existing build, the package folder under the scratch folder,
                    // and a scratch --tool-path instead of --global.
                    var args = words.Skip(1).Select(w => w switch { "nupkg" => Path.Combine(work, "nupkg"), "Release" => Configuration, _ => w }).ToList();
                    if (args[0] == "pack") args.Add("--no-build");
                    if (args[0] == "tool") args = [.. args.Select(a => a == "--global" ? "--tool-path" : a)];
                    if (args.Contains("--tool-path")) args.Insert(args.IndexOf("--tool-path") + 1, tools);
                    DotnetCli.Run(Repository.Root, env, [.. args]);
                    dotnetLines++;
                }
                else
                {
                    var command = ShellCommands.ParseCli(line);
                    Assert.True(command is not null, $"unexpected line in the README's tool block: {line}");
                    var output = Tool(Path.Combine(tools, "pluginmoe"), work, command.WithSteps(2).Args);
                    if (command.Args[0] == "plugins")
                    {
                        Assert.Matches(@"router\s+linear\s+pluginmoe", output);
                        Assert.Matches(@"tokenizer\s+byte\s+pluginmoe", output);
                    }
                    cliLines++;
                }
            }
            Assert.Equal(2, dotnetLines);
            Assert.True(cliLines >= 1);
            // The quickstart profile ships with the tool: a folder without profiles/ finds it beside the installed host.
            var empty = Directory.CreateDirectory(Path.Combine(work, "empty")).FullName;
            var list = Tool(Path.Combine(tools, "pluginmoe"), empty, ["plugins", "list", "--profile", "quickstart"]);
            Assert.Contains("no load failures", list);
            var missing = Assert.Throws<Xunit.Sdk.TrueException>(() => Tool(Path.Combine(tools, "pluginmoe"), empty, ["plugins", "list", "--profile", "nosuch"]));
            // Every profile of the repository travels with the tool (the list grows as profiles are added).
            var shipped = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "profiles"), "*.json").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal);
            Assert.Contains($"available profiles: {string.Join(", ", shipped)}", missing.Message);
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static string Tool(string exe, string workingDirectory, IReadOnlyList<string> args)
    {
        var info = new ProcessStartInfo(exe) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"pluginmoe {string.Join(' ', args)} exited with {process.ExitCode}:\n{stderr.Result}\n{stdout}");
        return stdout;
    }
}
