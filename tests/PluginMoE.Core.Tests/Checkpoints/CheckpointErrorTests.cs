// Corrupt or mismatched checkpoint folders fail with messages that name the file, what is wrong and
// what would work.
using System.Text.Json.Nodes;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Tensors;
using PluginMoE.Tensors.Serialization;
using static PluginMoE.Core.Tests.Checkpoints.CheckpointTestData;

namespace PluginMoE.Core.Tests.Checkpoints;

public sealed class CheckpointErrorTests : IDisposable
{
    private readonly ScratchFolder _scratch = new();
    private readonly string _dir;

    public CheckpointErrorTests()
    {
        _dir = _scratch.Sub("ckpt");
        CheckpointStore.Save(_dir, Random(Mixtral()));
    }

    public void Dispose() => _scratch.Dispose();

    private string ConfigPath => Path.Combine(_dir, "config.json");
    private string WeightsPath => Path.Combine(_dir, "model.safetensors");

    private void EditConfig(Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(ConfigPath))!.AsObject();
        edit(json);
        File.WriteAllText(ConfigPath, json.ToJsonString());
    }

    /// <summary>Rewrites model.safetensors (without a checksum, as another tool would).</summary>
    private void EditTensors(Action<Dictionary<string, Tensor>> edit)
    {
        var tensors = SafeTensors.Load(WeightsPath).ToDictionary();
        edit(tensors);
        SafeTensors.Save(WeightsPath, tensors);
        EditConfig(j => j["pluginmoe"]!.AsObject().Remove("sha256"));
    }

    private CheckpointFormatException LoadFails() => Assert.Throws<CheckpointFormatException>(() => CheckpointStore.Load(_dir));

    [Fact]
    public void Load_MissingFolder_NamesTheFolder()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => CheckpointStore.Load(_scratch.Sub("nope")));
        Assert.Equal($"checkpoint folder '{_scratch.Sub("nope")}' does not exist", e.Message);
    }

    [Fact]
    public void Load_MissingConfigJson_NamesThePathAndWhatAFolderHolds()
    {
        File.Delete(ConfigPath);
        Assert.Equal($"'{ConfigPath}' is missing: a checkpoint folder holds config.json and model.safetensors", LoadFails().Message);
    }

    [Fact]
    public void Load_ConfigJsonThatIsNotJson_SaysWhereTheParserStopped()
    {
        File.WriteAllText(ConfigPath, "{ \"model_type\": \"llama\",, }");
        var e = LoadFails();
        Assert.StartsWith($"'{ConfigPath}' is not valid JSON: ", e.Message);
        Assert.Contains("LineNumber: 0", e.Message);
    }

    [Fact]
    public void Load_MissingRequiredKey_NamesTheKeyTheFileAndTheRequiredKeys()
    {
        EditConfig(j => j.Remove("num_local_experts"));
        Assert.Equal($"'{ConfigPath}': required key 'num_local_experts' is missing (a mixtral config.json needs vocab_size, hidden_size, " +
            "intermediate_size, num_hidden_layers, num_attention_heads, num_local_experts, num_experts_per_tok)", LoadFails().Message);
    }

    [Fact]
    public void Load_KeyOfTheWrongType_ShowsTheValue()
    {
        EditConfig(j => j["hidden_size"] = "sixteen");
        Assert.Equal($"'{ConfigPath}': key 'hidden_size' must be an integer, got \"sixteen\"", LoadFails().Message);
    }

    [Fact]
    public void Load_UnsupportedModelType_ListsTheSupportedOnes()
    {
        EditConfig(j => j["model_type"] = "gpt2");
        Assert.Equal($"'{ConfigPath}': key 'model_type' is 'gpt2', which PluginMoE cannot read; supported: llama, mixtral, deepseek, pluginmoe", LoadFails().Message);
    }

    [Fact]
    public void Load_UnknownHfKeys_AreIgnored()
    {
        EditConfig(j => { j["use_cache"] = true; j["quantization_config"] = new JsonObject { ["bits"] = 4 }; });
        Assert.Equal(4, CheckpointStore.Load(_dir).Config.Moe!.NumExperts);
    }

    [Fact]
    public void Load_MissingSafetensors_NamesTheExpectedPath()
    {
        File.Delete(WeightsPath);
        Assert.Equal($"'{WeightsPath}' is missing: a checkpoint folder holds config.json and model.safetensors", LoadFails().Message);
    }

    [Fact]
    public void Load_ChecksumMismatch_NamesTheFileAndBothHashes()
    {
        var bytes = File.ReadAllBytes(WeightsPath);
        bytes[^1] ^= 1; // one flipped bit in the last tensor's data: still valid safetensors
        File.WriteAllBytes(WeightsPath, bytes);
        var recorded = (string)JsonNode.Parse(File.ReadAllText(ConfigPath))!["pluginmoe"]!["sha256"]!["model.safetensors"]!;
        var actual = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        Assert.Equal($"'{WeightsPath}' does not match the checksum recorded in config.json: expected SHA-256 {recorded}, file has {actual}; " +
            "the file was modified or damaged after it was saved", LoadFails().Message);
    }

    [Fact]
    public void Load_TruncatedSafetensors_KeepsTheSerializationErrorAndAddsTheFolder()
    {
        EditConfig(j => j["pluginmoe"]!.AsObject().Remove("sha256")); // as another tool's file: no checksum to catch it first
        var bytes = File.ReadAllBytes(WeightsPath);
        File.WriteAllBytes(WeightsPath, bytes[..(bytes.Length / 2)]);
        var e = LoadFails();
        Assert.StartsWith($"checkpoint folder '{_dir}': ", e.Message);
        Assert.IsType<SafeTensorsFormatException>(e.InnerException);
        Assert.Contains(e.InnerException!.Message, e.Message);
    }

    [Fact]
    public void Load_MissingExtraAndMisShapedTensors_ListsEveryProblemUnderTheFileNames()
    {
        EditTensors(t =>
        {
            t.Remove("model.layers.1.block_sparse_moe.experts.2.w3.weight");
            t.Remove("lm_head.weight");
            t["model.layers.0.mlp.gate_proj.weight"] = torch.zeros(24, 16);
            t["model.layers.0.block_sparse_moe.gate.weight"] = torch.zeros(3, 16);
        });
        Assert.Equal($"'{WeightsPath}' does not match its Mixtral config.json: " +
            "missing tensors (2): lm_head.weight, model.layers.1.block_sparse_moe.experts.2.w3.weight; " +
            "unexpected tensors (1): model.layers.0.mlp.gate_proj.weight; " +
            "shape mismatches (1): model.layers.0.block_sparse_moe.gate.weight has shape (3, 16), the config implies (4, 16)", LoadFails().Message);
    }

    [Fact]
    public void Load_CanonicalNamesInAMixtralFile_AreUnexpected()
    {
        EditTensors(t =>
        {
            t["model.layers.0.mlp.experts.0.gate_proj.weight"] = t["model.layers.0.block_sparse_moe.experts.0.w1.weight"];
            t.Remove("model.layers.0.block_sparse_moe.experts.0.w1.weight");
        });
        var e = LoadFails();
        Assert.Contains("missing tensors (1): model.layers.0.block_sparse_moe.experts.0.w1.weight", e.Message);
        Assert.Contains("unexpected tensors (1): model.layers.0.mlp.experts.0.gate_proj.weight", e.Message);
    }

    [Fact]
    public void Load_RopeScaling_IsRefusedRatherThanIgnored()
    {
        EditConfig(j => j["rope_scaling"] = new JsonObject { ["type"] = "linear", ["factor"] = 2.0 });
        Assert.Equal($"'{ConfigPath}': key 'rope_scaling' is {{\"type\":\"linear\",\"factor\":2}}; PluginMoE supports plain RoPE only (rope_scaling null)", LoadFails().Message);
    }
}
