// pluginmoe merge / extend end to end: a btx MoE in the Mixtral layout with provenance and parameter counts,
// extension n -> n + 1 through the router plugin, usage errors for mismatched and corrupt inputs, and no
// output folder when the merge fails between writes.
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Model;
using PluginMoE.Host.Cli;
using PluginMoE.Host.Tests.Support;
using PluginMoE.Tensors;

namespace PluginMoE.Host.Tests.Cli;

public sealed class MergeCommandTests : IDisposable
{
    private static readonly ModelConfig Tiny = new()
    {
        VocabSize = 32, HiddenSize = 16, IntermediateSize = 24, NumHiddenLayers = 2,
        NumAttentionHeads = 2, NumKeyValueHeads = 2, MaxPositionEmbeddings = 16,
    };

    private readonly CliHarness _cli = new();

    private string Dense(string name, long seed, ModelConfig? config = null)
    {
        var dir = Path.Combine(_cli.WorkingDirectory, name);
        CheckpointStore.Save(dir, new TransformerLM(config ?? Tiny, TestPlugins.Instance.Catalog, new Generator(seed)).ToCheckpoint());
        return dir;
    }

    [Fact]
    public void MergeThenExtend_WritesMixtralWithProvenanceThenThreeExperts()
    {
        Dense("seed", 1);
        var code = Dense("code", 2);
        Dense("law", 3);
        Dense("math", 4);

        var (rc, output, error) = _cli.Run("merge", "--strategy", "btx", "--seed", "seed", "--experts", "code,law", "--out", "moe");
        Assert.True(rc == 0, error);
        Assert.Contains("merged with 'btx' into an MoE of 2 experts (top-2, router 'linear')", output);
        Assert.Contains("(Mixtral layout)", output);
        Assert.Contains("parameters: total ", output);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(_cli.WorkingDirectory, "moe", "config.json")))!;
        Assert.Equal("mixtral", config["model_type"]!.GetValue<string>());
        var provenance = config["pluginmoe"]!["provenance"]!;
        Assert.Equal("btx", provenance["strategy"]!.GetValue<string>());
        Assert.Equal("code", provenance["sources"]![1]!["domain"]!.GetValue<string>());
        using (var fs = File.OpenRead(Path.Combine(code, "model.safetensors")))
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(fs)), provenance["sources"]![1]!["sha256"]!.GetValue<string>());
        Assert.Equal(["code", "law"], CheckpointStore.Load(Path.Combine(_cli.WorkingDirectory, "moe")).Config.Moe!.Domains);

        (rc, output, error) = _cli.Run("extend", "--moe", "moe", "--expert", "math", "--out", "moe3");
        Assert.True(rc == 0, error);
        Assert.Contains("extended 2 -> 3 experts with 'math' (router 'linear')", output);
        var extended = CheckpointStore.Load(Path.Combine(_cli.WorkingDirectory, "moe3"));
        Assert.Equal(3, extended.Config.Moe!.NumExperts);
        Assert.Equal([3L, 16L], extended.Tensors[CanonicalNames.Router(1) + "weight"].shape);
        Assert.Equal("extend", JsonNode.Parse(File.ReadAllText(Path.Combine(_cli.WorkingDirectory, "moe3", "config.json")))!["pluginmoe"]!["provenance"]!["strategy"]!.GetValue<string>());
    }

    [Fact]
    public void Merge_MismatchedArchitecture_IsAUsageErrorNamingBothCheckpoints()
    {
        Dense("seed", 1);
        Dense("code", 2, Tiny with { IntermediateSize = 32 });
        var (rc, _, error) = _cli.Run("merge", "--strategy", "btx", "--seed", "seed", "--experts", "code", "--out", "moe", "--top-k", "1");
        Assert.Equal(2, rc);
        Assert.Contains("merge strategy 'btx': a problem with the inputs (nothing was merged)", error);
        Assert.Contains($"config intermediate_size is 32 but seed ({Path.Combine(_cli.WorkingDirectory, "seed", "model.safetensors")}) has 24", error);
        Assert.False(Directory.Exists(Path.Combine(_cli.WorkingDirectory, "moe")));
    }

    [Fact]
    public void Merge_CorruptExpert_IsAUsageErrorNamingTheChecksum()
    {
        Dense("seed", 1);
        var code = Dense("code", 2);
        var weights = Path.Combine(code, "model.safetensors");
        var bytes = File.ReadAllBytes(weights);
        bytes[^3] ^= 0x40;
        File.WriteAllBytes(weights, bytes);
        var (rc, _, error) = _cli.Run("merge", "--strategy", "btx", "--seed", "seed", "--experts", "code", "--out", "moe", "--top-k", "1");
        Assert.Equal(2, rc);
        Assert.Contains($"--experts: cannot use '{code}': '{weights}' does not match the checksum recorded in config.json", error);
    }

    [Fact]
    public void Merge_UnknownStrategyOrSetting_IsAUsageError()
    {
        var (rc, _, error) = _cli.Run("merge", "--strategy", "btz", "--seed", "seed", "--experts", "code", "--out", "moe");
        Assert.Equal(2, rc);
        Assert.Contains("--strategy: ", error);
        Assert.Contains("'btx'", error);
        (rc, _, error) = _cli.Run("merge", "--strategy", "btx", "--seed", "seed", "--experts", "code", "--out", "moe", "--Training:Steps=3");
        Assert.Equal(2, rc);
        Assert.Contains("unknown argument '--Training:Steps=3'", error);
    }

    [Fact]
    public void Merge_FailingBetweenWrites_LeavesNoOutputFolder()
    {
        Dense("seed", 1);
        Dense("code", 2);
        Dense("law", 3);
        MergeSupport.FaultInjection = step => { if (step == "provenance") throw new IOException("injected fault between writes"); };
        try
        {
            var (rc, _, error) = _cli.Run("merge", "--strategy", "btx", "--seed", "seed", "--experts", "code,law", "--out", "moe");
            Assert.Equal(1, rc);
            Assert.Contains("injected fault between writes", error);
        }
        finally
        {
            MergeSupport.FaultInjection = null;
        }
        Assert.False(Directory.Exists(Path.Combine(_cli.WorkingDirectory, "moe")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_cli.WorkingDirectory, ".moe*"));
    }

    [Fact]
    public void Merge_NexusAverageAndSparseUpcycle_WriteCheckpointsWhoseCountsMatchTheModel()
    {
        Dense("seed", 1);
        Dense("code", 2);
        Dense("law", 3);
        var embeddings = Path.Combine(_cli.WorkingDirectory, "domains.safetensors");
        PluginMoE.Tensors.Serialization.SafeTensors.Save(embeddings, new Dictionary<string, Tensor>
        {
            ["code"] = torch.randn([8], generator: new Generator(5)),
            ["law"] = torch.randn([8], generator: new Generator(6)),
        });

        var (rc, output, error) = _cli.Run("merge", "--strategy", "nexus", "--router", "linear", "--seed", "seed", "--experts", "code,law", "--embeddings", "domains.safetensors", "--out", "nexus");
        Assert.True(rc == 0, error);
        Assert.Contains("an MoE of 2 experts (top-1, router 'linear', shared expert)", output);
        var nexus = CheckpointStore.Load(Path.Combine(_cli.WorkingDirectory, "nexus"));
        Assert.Equal([2L, 8L], nexus.Tensors[CanonicalNames.DomainEmbeddings].shape);
        var counts = TransformerLM.FromCheckpoint(nexus, TestPlugins.Instance.Catalog).CountParameters();
        Assert.Contains(MergeSupport.Describe(counts), output);

        (rc, output, error) = _cli.Run("merge", "--strategy", "average", "--experts", "code,law", "--Merge:Weights:0=1", "--Merge:Weights:1=3", "--out", "avg");
        Assert.True(rc == 0, error);
        Assert.Null(CheckpointStore.Load(Path.Combine(_cli.WorkingDirectory, "avg")).Config.Moe);

        (rc, _, error) = _cli.Run("merge", "--strategy", "sparse-upcycle", "--seed", "seed", "--out", "up");
        Assert.Equal(2, rc);
        Assert.Contains("--num-experts: required by sparse-upcycle", error);
        (rc, _, error) = _cli.Run("merge", "--strategy", "sparse-upcycle", "--seed", "seed", "--num-experts", "4", "--Merge:DropFraction=0.5", "--out", "up");
        Assert.True(rc == 0, error);
        Assert.Equal(4, CheckpointStore.Load(Path.Combine(_cli.WorkingDirectory, "up")).Config.Moe!.NumExperts);
    }

    [Fact]
    public void Merge_DefaultDomainNames_TakeTheParentOfAFolderNamedModel()
    {
        Dense("seed", 1);
        Dense(Path.Combine("branch", "code", "model"), 2);
        Dense(Path.Combine("branch", "law", "model"), 3);
        var (rc, _, error) = _cli.Run("merge", "--strategy", "btx", "--seed", "seed", "--experts", "branch/code/model,branch/law/model/", "--out", "moe");
        Assert.True(rc == 0, error);
        Assert.Equal(["code", "law"], CheckpointStore.Load(Path.Combine(_cli.WorkingDirectory, "moe")).Config.Moe!.Domains);
    }

    [Fact]
    public async Task Merge_KilledWhileWriting_LeavesNoOutputFolder_AndARerunSucceeds()
    {
        // Inputs large enough (4 x 7.5 MB, a 26 MB result) that writing takes a while: the child is killed (SIGKILL) as soon as
        // a hidden staging folder of the output appears (.moe.*.merge, or the checkpoint writer's ..moe.*.tmp inside which the
        // weights are being written).
        var big = Tiny with { VocabSize = 256, HiddenSize = 128, IntermediateSize = 1024, NumHiddenLayers = 4, NumAttentionHeads = 4, NumKeyValueHeads = 4 };
        Dense("seed", 1, big);
        for (int j = 0; j < 4; j++) Dense($"e{j}", 2 + j, big);
        string[] args = ["merge", "--strategy", "btx", "--seed", "seed", "--experts", "e0,e1,e2,e3", "--out", "moe"];
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = _cli.WorkingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])[Path.Combine(AppContext.BaseDirectory, "pluginmoe.dll"), .. args]) info.ArgumentList.Add(a);
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("PLUGINMOE", StringComparison.OrdinalIgnoreCase)).ToList()) info.Environment.Remove(key);
        bool staged = false;
        using (var child = Process.Start(info)!)
        {
            var stdout = child.StandardOutput.ReadToEndAsync();
            var stderr = child.StandardError.ReadToEndAsync();
            var clock = Stopwatch.StartNew();
            while (!child.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2))
            {
                if (Directory.EnumerateFileSystemEntries(_cli.WorkingDirectory, ".*moe.*").Any()) { staged = true; break; }
                Thread.Sleep(1);
            }
            if (!child.HasExited) child.Kill(entireProcessTree: true);
            child.WaitForExit();
            var output = await stdout + await stderr;
            Assert.True(staged, $"the merge finished before its staging folder was seen: {output}");
        }
        Assert.False(Directory.Exists(Path.Combine(_cli.WorkingDirectory, "moe")));

        var (rc, _, error) = _cli.Run(args);
        Assert.True(rc == 0, error);
        var merged = CheckpointStore.Load(Path.Combine(_cli.WorkingDirectory, "moe"));
        Assert.Equal(4, merged.Config.Moe!.NumExperts);
    }

    public void Dispose() => _cli.Dispose();
}
