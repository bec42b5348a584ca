// Runs the dotnet CLI from a test (pack, build) and fails with its output when it does not succeed.
using System.Diagnostics;

namespace PluginMoE.Host.Tests.Samples;

internal static class DotnetCli
{
    /// <summary>Runs <c>dotnet {args}</c> in <paramref name="workingDirectory"/>; returns the output, throws with it on a non-zero exit.</summary>
    public static string Run(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var (code, output) = Exec(workingDirectory, environment, args);
        if (code != 0)
            throw new InvalidOperationException($"`dotnet {string.Join(' ', args)}` in {workingDirectory} exited with {code}:\n{output}");
        return output;
    }

    /// <summary>Runs <c>dotnet {args}</c> in <paramref name="workingDirectory"/>; returns its exit code and output (stdout, then stderr).</summary>
    public static (int Code, string Output) Exec(string workingDirectory, IReadOnlyDictionary<string, string> environment, IReadOnlyList<string> args)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        // The test host runs under MSBuild-related variables of the outer `dotnet test`; a nested build must not see them.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            info.Environment.Remove(key);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (k, v) in environment) info.Environment[k] = v;
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }
}
