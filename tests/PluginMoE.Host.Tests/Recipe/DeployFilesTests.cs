// deploy/: the Slurm scripts pass `bash -n` (shell syntax) and run the per-domain command the branch jobs tests run;
// the Kubernetes manifest is well-formed YAML with an Indexed branch Job of one completion per domain, and every
// Job mounts the shared claim.
using System.Diagnostics;
using PluginMoE.Host.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace PluginMoE.Host.Tests.Recipe;

public sealed class DeployFilesTests
{
    private static string Deploy(params string[] parts) => Path.Combine([Repository.Root, "deploy", .. parts]);

    [Theory]
    [InlineData("submit-recipe.sh")]
    [InlineData("branch-array.sbatch")]
    [InlineData("recipe.sbatch")]
    public void SlurmScript_HasValidShellSyntax(string script)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add("-n");
        info.ArgumentList.Add(Deploy("slurm", script));
        using var bash = Process.Start(info)!;
        string error = bash.StandardError.ReadToEnd();
        bash.WaitForExit();
        Assert.True(bash.ExitCode == 0, $"bash -n {script}: {error}");
    }

    [Fact]
    public void SlurmArrayTask_RunsTheBranchStageForItsDomain()
    {
        string text = File.ReadAllText(Deploy("slurm", "branch-array.sbatch"));
        Assert.Contains("run --profile \"$PROFILE\" --run-dir \"$RUN_DIR\" --stages branch --domain \"$domain\"", text, StringComparison.Ordinal);
        Assert.Contains("--dependency=\"afterok:$branch\"", File.ReadAllText(Deploy("slurm", "submit-recipe.sh")), StringComparison.Ordinal);
    }

    [Fact]
    public void KubernetesManifest_IsWellFormed_WithAnIndexedBranchJobOfOneCompletionPerDomain()
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(Deploy("kubernetes", "pluginmoe-recipe.yaml"))) stream.Load(reader);
        var docs = stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
        Assert.Equal(["PersistentVolumeClaim", "Job", "Job", "Job"], docs.Select(d => Scalar(d, "kind")));
        string claim = Scalar(docs[0], "metadata", "name");
        Assert.Equal(["pluginmoe-seed", "pluginmoe-branch", "pluginmoe-recipe"], docs.Skip(1).Select(d => Scalar(d, "metadata", "name")));

        var branch = docs[2];
        Assert.Equal("Indexed", Scalar(branch, "spec", "completionMode"));
        var container = (YamlMappingNode)((YamlSequenceNode)Node(branch, "spec", "template", "spec", "containers"))[0];
        var env = ((YamlSequenceNode)container["env"]).Cast<YamlMappingNode>().ToDictionary(e => Scalar(e, "name"), e => Scalar(e, "value"));
        int domains = env["DOMAINS"].Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        Assert.Equal(domains.ToString(System.Globalization.CultureInfo.InvariantCulture), Scalar(branch, "spec", "completions"));
        Assert.Contains("--stages branch --domain \"$1\"", ((YamlSequenceNode)container["command"]).Last().ToString(), StringComparison.Ordinal);

        foreach (var job in docs.Skip(1))
        {
            var volumes = (YamlSequenceNode)Node(job, "spec", "template", "spec", "volumes");
            Assert.Contains(volumes.Cast<YamlMappingNode>(), v => Scalar(v, "persistentVolumeClaim", "claimName") == claim);
        }
    }

    private static YamlNode Node(YamlMappingNode map, params string[] path)
    {
        YamlNode node = map;
        foreach (var key in path) node = ((YamlMappingNode)node)[key];
        return node;
    }

    private static string Scalar(YamlMappingNode map, params string[] path) => ((YamlScalarNode)Node(map, path)).Value!;
}
