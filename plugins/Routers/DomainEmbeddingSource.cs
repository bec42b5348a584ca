// Where the nexus router's fixed domain embeddings d_i come from: the recipe (RouterSpec), inline options, or a file.
using System.Text.Json;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Tensors;
using PluginMoE.Tensors.Serialization;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Plugins.Routers;

/// <summary>Resolves the (n, m) domain embeddings of a <c>nexus</c> router, with errors that say where they can come from.</summary>
internal static class DomainEmbeddingSource
{
    private const string Where =
        "give them with Model:Moe:RouterOptions:DomainEmbeddings (inline, one array of m numbers per expert), " +
        "Model:Moe:RouterOptions:DomainEmbeddingsFile (a .json array of arrays or a .safetensors file with one (n, m) tensor), " +
        "or run the recipe's embed stage, which supplies them";

    /// <summary>The recipe's embeddings when given, else the options' inline values, else the options' file.</summary>
    public static Tensor Resolve(RouterSpec spec, NexusRouterOptions options)
    {
        Tensor source;
        string from;
        if (spec.DomainEmbeddings is not null) (source, from) = (spec.DomainEmbeddings, "the recipe");
        else if (options.DomainEmbeddings is not null) (source, from) = (Inline(options.DomainEmbeddings, "RouterOptions:DomainEmbeddings"), "RouterOptions:DomainEmbeddings");
        else if (!string.IsNullOrWhiteSpace(options.DomainEmbeddingsFile))
        {
            var path = Path.GetFullPath(options.DomainEmbeddingsFile);
            (source, from) = (FromFile(path), $"RouterOptions:DomainEmbeddingsFile '{path}'");
        }
        else throw new ArgumentException($"router 'nexus': no domain embeddings (one per routed expert, {spec.NumExperts} here); {Where}");

        if (source.dim() != 2 || source.size(0) != spec.NumExperts || source.size(1) < 1)
            throw new ArgumentException(
                $"router 'nexus': the domain embeddings from {from} have shape [{string.Join(", ", source.shape)}], " +
                $"but the layer has {spec.NumExperts} routed experts: give one row of m numbers per expert ({spec.NumExperts} rows)");
        return source.detach().to(spec.DType).contiguous();
    }

    private static Tensor Inline(double[][] rows, string key)
    {
        if (rows.Length == 0) throw new ArgumentException($"router 'nexus': {key} is empty; {Where}");
        int m = rows[0]?.Length ?? 0;
        for (int i = 0; i < rows.Length; i++)
            if (rows[i] is null || rows[i].Length != m || m == 0)
                throw new ArgumentException($"router 'nexus': {key} row {i} has {rows[i]?.Length ?? 0} numbers, row 0 has {m}; every row needs the same m > 0");
        return tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, m]);
    }

    private static Tensor FromFile(string path)
    {
        if (!File.Exists(path))
            throw new ArgumentException($"router 'nexus': domain-embeddings file '{path}' does not exist (RouterOptions:DomainEmbeddingsFile); {Where}");
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            var tensors = SafeTensors.Load(path, ScalarType.Float64);
            if (tensors.Count != 1)
                throw new ArgumentException(
                    $"router 'nexus': '{path}' holds {tensors.Count} tensors ({string.Join(", ", tensors.Keys)}); it must hold exactly one (n, m) tensor of domain embeddings");
            return tensors.Values.Single();
        }
        if (!path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"router 'nexus': domain-embeddings file '{path}' must be .json or .safetensors");
        double[][]? rows;
        try { rows = JsonSerializer.Deserialize<double[][]>(File.ReadAllText(path)); }
        catch (JsonException e)
        {
            throw new ArgumentException($"router 'nexus': '{path}' is not a JSON array of arrays of numbers ({e.Message})", e);
        }
        return Inline(rows ?? [], $"file '{path}'");
    }
}
