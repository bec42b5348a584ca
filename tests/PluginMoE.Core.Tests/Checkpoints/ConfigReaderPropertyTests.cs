// Property tests (CsCheck) of the config.json readers (HfConfigReader with ConfigJsonReader and PluginMoeSection):
// for random and mutated configs, reading either succeeds with a configuration the model accepts, or throws the
// documented CheckpointFormatException. No other exception (divide by zero, overflow, argument errors) escapes.
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Model;

namespace PluginMoE.Core.Tests.Checkpoints;

public sealed class ConfigReaderPropertyTests
{
    private static readonly string[] Fixtures = ["llama", "mixtral", "deepseek", "pluginmoe"];

    // Every key the readers look at, top level and inside the pluginmoe section.
    private static readonly string[] TopKeys =
    [
        "model_type", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
        "rms_norm_eps", "rope_theta", "max_position_embeddings", "tie_word_embeddings", "hidden_act", "attention_bias", "mlp_bias",
        "head_dim", "rope_scaling", "num_local_experts", "num_experts_per_tok", "router_aux_loss_coef", "router_jitter_noise",
        "n_routed_experts", "moe_intermediate_size", "n_shared_experts", "first_k_dense_replace", "moe_layer_freq", "norm_topk_prob",
        "scoring_func", "aux_loss_alpha", "pluginmoe",
    ];

    private static readonly string[] SectionKeys = ["format_version", "expert_type", "expert_options", "moe", "sha256"];

    private static readonly string[] MoeKeys =
    [
        "router", "num_experts", "top_k", "router_options", "shared_expert_intermediate_size", "moe_layers", "domains",
        "load_balance_weight", "router_z_loss_weight",
    ];

    // Values that break assumptions: zero, negative, huge, fractional, wrong JSON kinds.
    private static readonly string[] Values =
    [
        "0", "-1", "1", "2", "3", "4", "7", "8", "16", "31", "64", "2147483647", "-2147483648", "4294967296", "1e300", "-1e300", "0.5", "-0.0",
        "1.0", "1e-7", "null", "true", "false", "\"\"", "\"linear\"", "\"silu\"", "\"llama\"", "\"mixtral\"", "\"deepseek\"", "\"pluginmoe\"",
        "\"gelu\"", "\"softmax\"", "\"sigmoid\"", "[]", "[0]", "[1, 1]", "[-1]", "[0.5]", "[\"a\"]", "[\"a\", \"b\"]", "{}", "{\"Normalize\": \"softmax-topk\"}",
        "{\"JitterNoise\": -1}", "{\"type\": \"linear\", \"factor\": 2}", "{\"model.safetensors\": 5}",
    ];

    private static void ReadsOrRefuses(JsonObject config)
    {
        string text = config.ToJsonString();
        try
        {
            var (_, model, _, _) = HfConfigReader.Read(config, "config.json");
            // What the reader accepts, the model accepts.
            TransformerLM.Validate(model);
        }
        catch (CheckpointFormatException) { }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{e.GetType().Name} escaped the reader: {e.Message}\nconfig.json: {text}");
        }
    }

    private static JsonNode? Value(int i) => JsonNode.Parse(Values[i % Values.Length]);

    /// <summary>One edit: 0 set a top-level key, 1 remove a top-level key, 2 set a section key, 3 set an moe key, 4 remove an moe key.</summary>
    private static void Apply(JsonObject o, (int Op, int Key, int Value) m)
    {
        switch (m.Op)
        {
            case 0: o[TopKeys[m.Key % TopKeys.Length]] = Value(m.Value); break;
            case 1: o.Remove(TopKeys[m.Key % TopKeys.Length]); break;
            case 2: if (o["pluginmoe"] is JsonObject s) s[SectionKeys[m.Key % SectionKeys.Length]] = Value(m.Value); break;
            case 3: if ((o["pluginmoe"] as JsonObject)?["moe"] is JsonObject moe) moe[MoeKeys[m.Key % MoeKeys.Length]] = Value(m.Value); break;
            default: if ((o["pluginmoe"] as JsonObject)?["moe"] is JsonObject moe2) moe2.Remove(MoeKeys[m.Key % MoeKeys.Length]); break;
        }
    }

    private static readonly Gen<(int Op, int Key, int Value)> Mutation =
        Gen.Select(Gen.Int[0, 4], Gen.Int[0, 1000], Gen.Int[0, 1000], (op, key, value) => (op, key, value));

    [Fact]
    public void MutatedFixtures_ReadOrFailWithTheDocumentedError() =>
        Gen.Select(Gen.Int[0, Fixtures.Length - 1], Mutation.Array[1, 5], (f, edits) => (f, edits))
            .Sample(t =>
            {
                var o = ConfigValueTests.Fixture(Fixtures[t.f]);
                if (t.f < 3) o["pluginmoe"] ??= JsonNode.Parse(ConfigValueTests.PluginMoeConfig)!["pluginmoe"]!.DeepClone();
                foreach (var edit in t.edits) Apply(o, edit);
                ReadsOrRefuses(o);
            }, iter: 1500, threads: 1);

    [Fact]
    public void RandomConfigs_ReadOrFailWithTheDocumentedError() =>
        Gen.Select(Gen.Int[0, 3], Gen.Int[0, 1000].Array[TopKeys.Length], Gen.Int[0, 1000].Array[MoeKeys.Length], Gen.Int[0, 1000].Array[TopKeys.Length],
                (type, values, moeValues, present) => (type, values, moeValues, present))
            .Sample(t =>
            {
                string[] types = ["llama", "mixtral", "deepseek", "pluginmoe"];
                var o = new JsonObject { ["model_type"] = types[t.type] };
                // Small positive integers most of the time, so that some random configs get past the first checks.
                for (int i = 1; i < TopKeys.Length - 1; i++)
                    if (t.present[i] % 4 != 0) o[TopKeys[i]] = t.values[i] % 3 == 0 ? Value(t.values[i]) : JsonValue.Create(1 << (t.values[i] % 7));
                var moe = new JsonObject();
                for (int i = 0; i < MoeKeys.Length; i++)
                    if (t.moeValues[i] % 3 != 0) moe[MoeKeys[i]] = t.moeValues[i] % 2 == 0 ? Value(t.moeValues[i]) : JsonValue.Create(1 << (t.moeValues[i] % 3));
                o["pluginmoe"] = new JsonObject { ["moe"] = moe };
                ReadsOrRefuses(o);
            }, iter: 1500, threads: 1);

    [Fact]
    public void CorruptedText_LoadsOrFailsWithTheDocumentedError()
    {
        var scratch = new ScratchFolder();
        try
        {
            string original = ConfigValueTests.PluginMoeConfig;
            Gen.Select(Gen.Int[0, original.Length - 1], Gen.Int[0, 3], Gen.Int[0, Values.Length - 1], (at, op, v) => (at, op, v))
                .Sample(t =>
                {
                    // Truncate, drop a character, insert a value, or repeat a line (a duplicate key).
                    string text = t.op switch
                    {
                        0 => original[..t.at],
                        1 => original.Remove(t.at, 1),
                        2 => original.Insert(t.at, Values[t.v]),
                        _ => DuplicateLine(original, t.at),
                    };
                    var dir = scratch.Sub(Guid.NewGuid().ToString("N"));
                    Directory.CreateDirectory(dir);
                    File.WriteAllText(Path.Combine(dir, "config.json"), text);
                    try { CheckpointStore.DetectLayout(dir); }
                    catch (CheckpointFormatException) { }
                    catch (Exception e) { throw new Xunit.Sdk.XunitException($"{e.GetType().Name} escaped: {e.Message}\nconfig.json: {text}"); }
                    finally { Directory.Delete(dir, recursive: true); }
                }, iter: 200, threads: 1);
        }
        finally { scratch.Dispose(); }
    }

    private static string DuplicateLine(string text, int at)
    {
        int start = text.LastIndexOf('\n', Math.Max(0, at - 1)) + 1;
        int end = text.IndexOf('\n', at);
        if (end < 0) return text;
        string line = text[start..(end + 1)];
        return text.Insert(start, line);
    }

    [Fact]
    public void TheDocumentedErrorIsTheOnlyOne_EvenForJsonThatIsNotAnObjectOfObjects() =>
        Assert.Throws<CheckpointFormatException>(() => HfConfigReader.Read(JsonSerializer.SerializeToNode(new { model_type = 5 })!.AsObject(), "config.json"));
}
