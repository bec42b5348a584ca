// /v1/route: the text's tokens under the model's tokenizer (as a prompt is encoded), and for each MoE layer the experts each token went to with their gates, from
// the model's own forward pass (ModelOutput.Routing), window by window of max_position_embeddings tokens.
using System.Text.Json.Nodes;
using PluginMoE.Core.Inference;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Host.Serve;

/// <summary>Computes the routing of a text.</summary>
public static class RoutingTrace
{
    /// <summary>The <c>/v1/route</c> answer for <paramref name="text"/>.</summary>
    /// <exception cref="ApiException">The text is empty.</exception>
    public static JsonObject Trace(ServedModel served, string text, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(served);
        ArgumentNullException.ThrowIfNull(text);
        int[] ids = served.EncodePrompt(text);
        if (ids.Length == 0) throw new ApiException(400, "'text' is empty; give at least one character", "text");
        var model = served.Model;
        int window = model.Config.MaxPositionEmbeddings;
        var layers = served.MoeLayers();
        // experts[layer][token] and gates[layer][token]
        var experts = layers.ToDictionary(l => l, _ => new List<long[]>(ids.Length));
        var gates = layers.ToDictionary(l => l, _ => new List<double[]>(ids.Length));
        using (no_grad())
        {
            for (int start = 0; start < ids.Length; start += window)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int t = Math.Min(window, ids.Length - start);
                var x = tensor(ids.AsSpan(start, t).ToArray().Select(i => (long)i).ToArray(), [1, t]);
                foreach (var r in model.forward(x).Routing)
                {
                    if (!experts.ContainsKey(r.Layer)) continue;
                    long rows = r.ExpertIndices.size(0), k = r.ExpertIndices.size(1);
                    long perToken = rows / t * k;                         // h*k slots per token with multi-head routing
                    var idx = r.ExpertIndices.to(int64).data<long>();
                    var g = r.Gates?.to(ScalarType.Float64).data<double>();
                    for (int i = 0; i < t; i++)
                    {
                        experts[r.Layer].Add(idx.AsSpan((int)(i * perToken), (int)perToken).ToArray());
                        gates[r.Layer].Add(g is null ? [] : g.AsSpan((int)(i * perToken), (int)perToken).ToArray());
                    }
                }
            }
        }

        var detok = new StreamingDetokenizer(served.Tokenizer);
        var tokens = new JsonArray();
        for (int i = 0; i < ids.Length; i++)
        {
            string piece = detok.Push(ids[i]);
            if (i == ids.Length - 1) piece += detok.Flush();
            var perLayer = new JsonArray();
            foreach (int l in layers)
                perLayer.Add(new JsonObject
                {
                    ["layer"] = l,
                    ["experts"] = new JsonArray([.. experts[l][i].Select(e => (JsonNode?)e)]),
                    ["gates"] = new JsonArray([.. gates[l][i].Select(w => (JsonNode?)Math.Round(w, 5))]),
                });
            tokens.Add(new JsonObject { ["id"] = ids[i], ["text"] = piece, ["routing"] = perLayer });
        }

        return new JsonObject
        {
            ["model"] = served.Name,
            ["num_experts"] = model.Config.Moe?.NumExperts ?? 0,
            ["top_k"] = model.Config.Moe?.TopK ?? 0,
            ["tokenizer"] = served.TokenizerName,
            ["layers"] = new JsonArray([.. layers.Select(l => (JsonNode?)l)]),
            ["domains"] = new JsonArray([.. served.Domains().Select(d => (JsonNode?)d)]),
            ["tokens"] = tokens,
            ["evaluation"] = EvaluationShares(served),
        };
    }

    /// <summary>Per-domain routing shares of the last evaluation ({domain: {layerN: [fraction per expert]}}), or null.</summary>
    public static JsonObject? EvaluationShares(ServedModel served)
    {
        ArgumentNullException.ThrowIfNull(served);
        if (served.Evaluation?["domains"] is not JsonObject domains) return null;
        var shares = new JsonObject();
        foreach (var (domain, value) in domains)
            if (value?["routing"] is JsonObject routing) shares[domain] = routing.DeepClone();
        return new JsonObject { ["file"] = served.EvalFile, ["step"] = served.Evaluation["step"]?.DeepClone(), ["routing"] = shares };
    }
}
