// Recipe stage "embed": one embedding per domain from the training documents with the Recipe:Embedder plugin
// (Nexus's router input), and their cosine matrix; written to embed/embeddings.json.
using System.Text.Json;
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Data;
using PluginMoE.Core.Data;
using PluginMoE.Host.Configuration;

namespace PluginMoE.Host.Stages;

/// <summary>Writes embed/embeddings.json: domains, one vector per domain, cosine matrix.</summary>
public sealed class EmbedStage : RecipeStage
{
    /// <summary>The stage's output file.</summary>
    public const string FileName = "embeddings.json";

    /// <inheritdoc/>
    public override string Name => "embed";

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, object?> Validate(HostSettings settings, IPluginProvider plugins, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(plugins);
        ArgumentNullException.ThrowIfNull(errors);
        try { plugins.Get<IDomainEmbedder>(PluginKind.DomainEmbedder, settings.Recipe.Embedder); }
        catch (Exception e) when (e is KeyNotFoundException or Plugins.PluginLoadException)
        {
            errors.Add($"Recipe:Embedder: {e.Message}");
        }
        return base.Validate(settings, plugins, errors);
    }

    /// <inheritdoc/>
    public override void Run(StageContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        string dir = context.Run.Stage(Name);
        string file = Path.Combine(dir, FileName);
        if (File.Exists(file)) return;
        var data = LoadData(context, cancellationToken);
        string name = context.Settings.Recipe.Embedder;
        var embedder = context.Plugins.Get<IDomainEmbedder>(PluginKind.DomainEmbedder, name);
        var domains = data.Train.Domains.ToDictionary(d => d, d => (IReadOnlyList<Document>)data.TrainDocuments.Where(x => x.Domain == d).ToList(), StringComparer.Ordinal);
        var request = new DomainEmbeddingRequest(domains)
        {
            Options = Cli.MergeSupport.Bind(context.Plugins.Catalog, embedder, null, "Recipe:Embedder"),
            Tokenizer = data.Tokenizer,
        };
        var set = DomainEmbeddings.Embed(embedder, name, request, cacheDirectory: null);
        var values = set.Embeddings.to(Tensors.ScalarType.Float32).contiguous().data<float>().ToArray();
        int dim = (int)set.Embeddings.size(1);
        var saved = new EmbeddingFile([.. set.Domains], dim, values,
            [.. Enumerable.Range(0, set.Domains.Count).Select(i => Enumerable.Range(0, set.Domains.Count).Select(j => set.Cosine[i, j]).ToArray())]);
        string temp = file + ".partial";
        File.WriteAllText(temp, JsonSerializer.Serialize(saved));
        File.Move(temp, file, overwrite: true);
        context.Progress.Info(FormattableString.Invariant($"embed: {set.Domains.Count} domains embedded with '{name}' ({dim} dims); largest cosine between two domains {set.MaxOffDiagonal():F3}"));
    }

    /// <summary>Reads the embed stage's output in <paramref name="dir"/>.</summary>
    public static EmbeddingFile Load(string dir) =>
        JsonSerializer.Deserialize<EmbeddingFile>(File.ReadAllText(Path.Combine(dir, FileName))) ?? throw new InvalidDataException($"{Path.Combine(dir, FileName)} is empty");
}

/// <summary>Domain embeddings as saved by the embed stage.</summary>
/// <param name="Domains">Domains, one row each.</param>
/// <param name="Dim">Width of each embedding.</param>
/// <param name="Values">Row-major values (domains x dim).</param>
/// <param name="Cosine">Cosine similarity between domains.</param>
public sealed record EmbeddingFile(string[] Domains, int Dim, float[] Values, double[][] Cosine)
{
    /// <summary>The embedding of <paramref name="domain"/> as a (dim) tensor.</summary>
    public Tensors.Tensor Row(string domain)
    {
        int i = Array.IndexOf(Domains, domain);
        if (i < 0) throw new ConfigurationException($"embed: no embedding for domain '{domain}' (embedded: {string.Join(", ", Domains)}); rerun the embed stage with --restart embed");
        return Tensors.torch.tensor(Values.AsSpan(i * Dim, Dim).ToArray(), [Dim]);
    }
}
