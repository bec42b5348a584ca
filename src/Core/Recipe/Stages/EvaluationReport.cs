// The train stage's final evaluation as files: eval.json (per-domain validation loss and perplexity, routing
// distribution per domain and MoE layer, parameter counts) and a short Markdown summary.
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PluginMoE.Core.Evaluation;
using PluginMoE.Core.Recipe.Runs;

namespace PluginMoE.Core.Recipe.Stages;

/// <summary>Writes evaluation results.</summary>
public static class EvaluationReport
{
    /// <summary>JSON file name.</summary>
    public const string JsonFile = "eval.json";

    /// <summary>Markdown file name.</summary>
    public const string MarkdownFile = "summary.md";

    /// <summary>The result as JSON.</summary>
    public static JsonObject ToJson(EvaluationResult result, long step)
    {
        ArgumentNullException.ThrowIfNull(result);
        var domains = new JsonObject();
        foreach (var d in result.Domains)
        {
            var routing = new JsonObject();
            foreach (var r in d.Routing) routing[$"layer{r.Layer}"] = new JsonArray([.. r.Fractions.Select(f => (JsonNode?)f)]);
            domains[d.Domain] = new JsonObject { ["loss"] = d.Loss, ["perplexity"] = d.Perplexity, ["tokens"] = d.Tokens, ["routing"] = routing };
        }
        return new JsonObject
        {
            ["step"] = step,
            ["loss"] = result.Loss,
            ["perplexity"] = Math.Exp(result.Loss),
            ["parameters"] = new JsonObject
            {
                ["total"] = result.Parameters.Total,
                ["active_training"] = result.Parameters.ActiveTraining,
                ["active_inference"] = result.Parameters.ActiveInference,
            },
            ["domains"] = domains,
        };
    }

    /// <summary>A Markdown summary: one row per domain with loss and perplexity, then the routing table per layer.</summary>
    public static string ToMarkdown(EvaluationResult result, long step, string title)
    {
        ArgumentNullException.ThrowIfNull(result);
        var c = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine(c, $"# {title}").AppendLine();
        md.AppendLine(c, $"After step {step}. Parameters: {result.Parameters.Total:N0} total, {result.Parameters.ActiveInference:N0} active per token.").AppendLine();
        md.AppendLine("| domain | validation loss (nats/token) | perplexity | tokens |").AppendLine("| --- | ---: | ---: | ---: |");
        foreach (var d in result.Domains) md.AppendLine(c, $"| {d.Domain} | {d.Loss:F4} | {d.Perplexity:F3} | {d.Tokens} |");
        var layers = result.Domains.SelectMany(d => d.Routing.Select(r => r.Layer)).Distinct().Order().ToList();
        foreach (var layer in layers)
        {
            int n = result.Domains.SelectMany(d => d.Routing).First(r => r.Layer == layer).Fractions.Length;
            md.AppendLine().AppendLine(c, $"Routing in layer {layer} (share of each domain's token slots per expert):").AppendLine();
            md.AppendLine("| domain | " + string.Join(" | ", Enumerable.Range(0, n).Select(e => $"expert {e}")) + " |");
            md.AppendLine("| --- |" + string.Concat(Enumerable.Repeat(" ---: |", n)));
            foreach (var d in result.Domains)
                if (d.Routing.FirstOrDefault(r => r.Layer == layer) is { } r)
                    md.AppendLine(c, $"| {d.Domain} | {string.Join(" | ", r.Fractions.Select(f => f.ToString("P1", c)))} |");
        }
        return md.ToString();
    }

    /// <summary>Writes <see cref="JsonFile"/> and <see cref="MarkdownFile"/> into <paramref name="directory"/> atomically.</summary>
    public static void Write(string directory, EvaluationResult result, long step, string title)
    {
        AtomicFile.WriteAllText(Path.Combine(directory, JsonFile), ToJson(result, step).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        AtomicFile.WriteAllText(Path.Combine(directory, MarkdownFile), ToMarkdown(result, step, title));
    }
}
