// Recipe stage "embed": one embedding per domain from the training documents with the Recipe:Embedder plugin
// (Nexus's router input), and their cosine matrix, written to embed/embeddings.json; every other embedder a variant
// names (Recipe:Variants:<name>:Embedder) gets its own set in embed/embeddings-<embedder>.json. Embedders that read a
// model's hidden states (hidden-mean) get the seed model.
using System.Text.Json;
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Data;
using PluginMoE.Core.Data;
using PluginMoE.Core.Model;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Recipe.Settings;
using PluginMoE.Core.Recipe.Services;

namespace PluginMoE.Core.Recipe.Stages;

/// <summary>Writes embed/embeddings.json: domains, one vector per domain, cosine matrix.</summary>
public sealed class EmbedStage : RecipeStage
{
    /// <summary>The stage's output file.</summary>
    public const string FileName = "embeddings.json";

    /// <inheritdoc/>
    public override string Name => "embed";

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, object?> Validate(ProfileSettings settings, IPluginProvider plugins, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(plugins);
        ArgumentNullException.ThrowIfNull(errors);
        foreach (var name in settings.Recipe.Embedders())
        {
            try { plugins.Get<IDomainEmbedder>(PluginKind.DomainEmbedder, name); }
            catch (Exception e) when (e is KeyNotFoundException or PluginUnavailableException)
            {
                string key = string.Equals(name, settings.Recipe.Embedder, StringComparison.OrdinalIgnoreCase) ? "Recipe:Embedder"
                    : $"Recipe:Variants:{settings.Recipe.Variants.First(v => string.Equals(v.Value.Embedder, name, StringComparison.OrdinalIgnoreCase)).Key}:Embedder";
                errors.Add($"{key}: {e.Message}");
            }
        }
        return base.Validate(settings, plugins, errors);
    }

    /// <inheritdoc/>
    public override void Run(StageContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        string dir = context.Run.Stage(Name);
        var recipe = context.Settings.Recipe;
        var pending = recipe.Embedders().Where(e => !File.Exists(Path.Combine(dir, FileFor(e, recipe.Embedder)))).ToList();
        if (pending.Count == 0) return;
        var data = LoadData(context, cancellationToken);
        var domains = data.Train.Domains.ToDictionary(d => d, d => (IReadOnlyList<Document>)data.TrainDocuments.Where(x => x.Domain == d).ToList(), StringComparer.Ordinal);
        // The seed model, for embedders that read hidden states; none when the seed stage has not run (tfidf needs none).
        string seed = Path.Combine(context.Run.Path, "seed", "dense");
        var model = context.Run.IsComplete("seed") ? new ModelHiddenStates(LoadModel(context, seed), data.Tokenizer) : null;
        foreach (var name in pending)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var embedder = context.Plugins.Get<IDomainEmbedder>(PluginKind.DomainEmbedder, name);
            var request = new DomainEmbeddingRequest(domains)
            {
                Options = MergeComposition.Bind(context.Plugins.Catalog, embedder, null, "Recipe:Embedder"),
                Tokenizer = data.Tokenizer,
                Model = model,
            };
            DomainEmbeddingSet set;
            try { set = DomainEmbeddings.Embed(embedder, name, request, cacheDirectory: null); }
            catch (ArgumentException e) when (model is null)
            {
                throw new ConfigurationException($"embed: embedder '{name}' failed without a seed model ({e.Message}); run the seed stage before embed", e);
            }
            var values = set.Embeddings.to(Tensors.ScalarType.Float32).contiguous().data<float>().ToArray();
            int dim = (int)set.Embeddings.size(1);
            var saved = new EmbeddingFile([.. set.Domains], dim, values,
                [.. Enumerable.Range(0, set.Domains.Count).Select(i => Enumerable.Range(0, set.Domains.Count).Select(j => set.Cosine[i, j]).ToArray())])
            { Embedder = name };
            string file = Path.Combine(dir, FileFor(name, recipe.Embedder));
            string temp = file + ".partial";
            File.WriteAllText(temp, JsonSerializer.Serialize(saved));
            File.Move(temp, file, overwrite: true);
            context.Progress.Info(FormattableString.Invariant($"embed: {set.Domains.Count} domains embedded with '{name}' ({dim} dims); largest cosine between two domains {set.MaxOffDiagonal():F3}"));
        }
    }

    /// <summary>The file of <paramref name="embedder"/>'s set: <see cref="FileName"/> for the recipe's own embedder, else <c>embeddings-&lt;embedder&gt;.json</c>.</summary>
    public static string FileFor(string embedder, string recipeEmbedder)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        return string.Equals(embedder, recipeEmbedder, StringComparison.OrdinalIgnoreCase) ? FileName
            : $"embeddings-{new string(embedder.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray())}.json";
    }

    /// <summary>Reads the embed stage's output in <paramref name="dir"/> (the recipe embedder's set).</summary>
    public static EmbeddingFile Load(string dir) => Read(Path.Combine(dir, FileName));

    /// <summary>Reads <paramref name="embedder"/>'s set from the embed stage's output in <paramref name="dir"/>.</summary>
    /// <exception cref="ConfigurationException">That embedder's set was not written (the embed stage ran with other settings).</exception>
    public static EmbeddingFile Load(string dir, string embedder, string recipeEmbedder)
    {
        string path = Path.Combine(dir, FileFor(embedder, recipeEmbedder));
        if (!File.Exists(path))
            throw new ConfigurationException($"embed: no domain embeddings of embedder '{embedder}' in {dir}; rerun the embed stage with --restart embed");
        return Read(path);
    }

    private static EmbeddingFile Read(string path) =>
        JsonSerializer.Deserialize<EmbeddingFile>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path} is empty");
}

/// <summary>Domain embeddings as saved by the embed stage.</summary>
/// <param name="Domains">Domains, one row each.</param>
/// <param name="Dim">Width of each embedding.</param>
/// <param name="Values">Row-major values (domains x dim).</param>
/// <param name="Cosine">Cosine similarity between domains.</param>
public sealed record EmbeddingFile(string[] Domains, int Dim, float[] Values, double[][] Cosine)
{
    /// <summary>The embedder that made them (null in files written before several embedders were possible).</summary>
    public string? Embedder { get; init; }

    /// <summary>The embedding of <paramref name="domain"/> as a (dim) tensor.</summary>
    public Tensors.Tensor Row(string domain)
    {
        int i = Array.IndexOf(Domains, domain);
        if (i < 0) throw new ConfigurationException($"embed: no embedding for domain '{domain}' (embedded: {string.Join(", ", Domains)}); rerun the embed stage with --restart embed");
        return Tensors.torch.tensor(Values.AsSpan(i * Dim, Dim).ToArray(), [Dim]);
    }
}
