// The one model `pluginmoe serve` shares between requests (in eval mode, read-only), with its tokenizer (the
// checkpoint's tokenizer.json, normalizer and post-processor included, as `score` and `generate` use it; the byte
// tokenizer when there is none) and what /v1/model and /v1/route report about it: config, parameter counts,
// plugins, tokenizer, domains and the run's last evaluation (eval.json).
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Data;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Model;
using PluginMoE.Core.Recipe.Stages;
using PluginMoE.Core.Text;

namespace PluginMoE.Host.Serve;

/// <summary>A loaded checkpoint and its description.</summary>
public sealed class ServedModel
{
    /// <summary>
    /// Wraps <paramref name="model"/> loaded from <paramref name="directory"/> with the checkpoint's tokenizer (its
    /// tokenizer.json, else bytes); switches the model to eval mode.
    /// </summary>
    /// <exception cref="InvalidDataException">The tokenizer.json cannot be read, or has ids the model has no embedding for.</exception>
    public ServedModel(TransformerLM model, string directory)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(directory);
        Model = model;
        Directory = directory;
        TokenizerFile = Path.Combine(directory, HfTokenizerJson.FileName);
        if (!File.Exists(TokenizerFile)) TokenizerFile = null;
        Tokenizer = CheckpointTokenizer.Load(directory);
        if (Tokenizer.VocabSize > model.Config.VocabSize)
            throw new InvalidDataException(
                $"the tokenizer ({TokenizerFile}) has {Tokenizer.VocabSize} ids but the model's vocab_size is {model.Config.VocabSize}; " +
                "the checkpoint's tokenizer.json belongs to another model");
        model.eval();
        Name = ModelName(directory);
        EvalFile = FindEvaluation(directory);
        Evaluation = EvalFile is null ? null : ReadEvaluation(EvalFile);
        Counts = model.CountParameters();
    }

    /// <summary>The model (eval mode; never trained or mutated by the server).</summary>
    public TransformerLM Model { get; }

    /// <summary>The checkpoint's tokenizer: its tokenizer.json, or the byte tokenizer when it has none.</summary>
    public ITokenizer Tokenizer { get; }

    /// <summary>The checkpoint's tokenizer.json, or null (byte tokenizer).</summary>
    public string? TokenizerFile { get; }

    /// <summary>The tokenizer's name as the API reports it: <c>bpe</c> or <c>byte</c> (else the type's name).</summary>
    public string TokenizerName => Tokenizer switch
    {
        ByteTokenizer => "byte",
        BpeTokenizer => "bpe",
        var t => t.GetType().Name,
    };

    /// <summary>
    /// The ids a prompt is generated from, as <see cref="Core.Inference.TextGenerator"/> encodes it: the post-processor's
    /// prefix (e.g. a BOS token) and the text's ids, without a suffix that would end the text.
    /// </summary>
    public int[] EncodePrompt(string text) =>
        Tokenizer is BpeTokenizer { PostProcessor: { } post } bpe ? [.. post.Prefix, .. bpe.Encode(text)] : Tokenizer.Encode(text);

    /// <summary>The ids a text is scored on, as <c>pluginmoe score</c> encodes it: with the post-processor's special tokens around it.</summary>
    public int[] EncodeForScoring(string text) => Tokenizer is BpeTokenizer bpe ? bpe.EncodeWithSpecialTokens(text) : Tokenizer.Encode(text);

    /// <summary>The <c>tokenizer</c> entry of <c>GET /v1/model</c>: type, vocabulary size, file, normalizer and post-processor.</summary>
    public JsonObject DescribeTokenizer()
    {
        var bpe = Tokenizer as BpeTokenizer;
        return new JsonObject
        {
            ["type"] = TokenizerName,
            ["vocab_size"] = Tokenizer.VocabSize,
            ["file"] = TokenizerFile,
            ["normalizer"] = bpe?.Normalizer?.Json.DeepClone(),
            ["post_processor"] = bpe?.PostProcessor?.Json.DeepClone(),
            ["added_tokens"] = bpe is null ? 0 : bpe.AddedTokens.Count,
        };
    }

    /// <summary>The checkpoint folder.</summary>
    public string Directory { get; }

    /// <summary>The model id reported by the API: the run folder's name and the checkpoint's folder.</summary>
    public string Name { get; }

    /// <summary>Path of the last evaluation (eval.json beside the model in a run folder), or null.</summary>
    public string? EvalFile { get; }

    /// <summary>The last evaluation's JSON, or null.</summary>
    public JsonObject? Evaluation { get; }

    /// <summary>Parameter counts.</summary>
    public ParameterCounts Counts { get; }

    /// <summary>The <c>GET /v1/model</c> answer.</summary>
    public JsonObject Describe()
    {
        var c = Model.Config;
        JsonNode? configFile = null;
        string configPath = Path.Combine(Directory, CheckpointStore.ConfigFile);
        if (File.Exists(configPath)) configFile = JsonNode.Parse(File.ReadAllText(configPath), documentOptions: new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip });
        return new JsonObject
        {
            ["id"] = Name,
            ["object"] = "model",
            ["checkpoint"] = Directory,
            ["config"] = new JsonObject
            {
                ["vocab_size"] = c.VocabSize,
                ["hidden_size"] = c.HiddenSize,
                ["intermediate_size"] = c.IntermediateSize,
                ["num_hidden_layers"] = c.NumHiddenLayers,
                ["num_attention_heads"] = c.NumAttentionHeads,
                ["num_key_value_heads"] = c.NumKeyValueHeads,
                ["max_position_embeddings"] = c.MaxPositionEmbeddings,
                ["tie_word_embeddings"] = c.TieWordEmbeddings,
                ["expert_type"] = c.ExpertType,
                ["moe"] = c.Moe is not { } m ? null : new JsonObject
                {
                    ["router"] = m.Router,
                    ["num_experts"] = m.NumExperts,
                    ["top_k"] = m.TopK,
                    ["moe_layers"] = new JsonArray([.. MoeLayers().Select(l => (JsonNode?)l)]),
                    ["shared_expert_intermediate_size"] = m.SharedExpertIntermediateSize,
                },
            },
            ["config_file"] = configFile,
            ["parameters"] = new JsonObject
            {
                ["total"] = Counts.Total,
                ["active_training"] = Counts.ActiveTraining,
                ["active_inference"] = Counts.ActiveInference,
            },
            ["plugins"] = new JsonObject
            {
                ["router"] = c.Moe?.Router,
                ["expert"] = c.ExpertType,
            },
            ["domains"] = new JsonArray([.. Domains().Select(d => (JsonNode?)d)]),
            ["tokenizer"] = DescribeTokenizer(),
            ["evaluation"] = Evaluation?.DeepClone(),
        };
    }

    /// <summary>Indices of the MoE layers (empty for a dense model).</summary>
    public IReadOnlyList<int> MoeLayers() => Model.Config.Moe is not { } m
        ? []
        : [.. Enumerable.Range(0, Model.Config.NumHiddenLayers).Where(m.IsMoeLayer)];

    /// <summary>Domain names: the checkpoint's (one per expert) or those of the last evaluation.</summary>
    public IReadOnlyList<string> Domains()
    {
        if (Model.Config.Moe is { Domains.Count: > 0 } m) return m.Domains;
        if (Evaluation?["domains"] is JsonObject d) return [.. d.Select(p => p.Key)];
        return [];
    }

    private static string ModelName(string directory)
    {
        var dir = new DirectoryInfo(directory);
        var parent = dir.Parent;
        // runs/<run>/train/model -> "<run>/train/model"; a bare folder -> its name.
        if (parent?.Parent is { } run && File.Exists(Path.Combine(parent.FullName, EvaluationReport.JsonFile)))
            return $"{run.Name}/{parent.Name}/{dir.Name}";
        return dir.Name;
    }

    private static string? FindEvaluation(string directory)
    {
        foreach (var candidate in new[] { Path.Combine(directory, EvaluationReport.JsonFile), Path.Combine(directory, "..", EvaluationReport.JsonFile) })
            if (File.Exists(candidate)) return Path.GetFullPath(candidate);
        return null;
    }

    private static JsonObject? ReadEvaluation(string path)
    {
        try { return JsonNode.Parse(File.ReadAllText(path)) as JsonObject; }
        catch (System.Text.Json.JsonException) { return null; }
    }
}
