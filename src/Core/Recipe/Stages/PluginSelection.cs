// Resolves the plugins a profile names and binds their options sections, turning lookup and binding
// failures into configuration errors that name the key (Model:Moe:Router, Data:LoaderOptions:...). Every plugin,
// the built-in tokenizers (byte, bpe) included, is looked up by name and created from its bound options.
using System.Text.Json;
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Data;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Core.Data;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Recipe.Settings;
using PluginMoE.Core.Recipe.Services;

namespace PluginMoE.Core.Recipe.Stages;

/// <summary>The plugins of one run with their bound options.</summary>
/// <param name="Loader">The dataset loader.</param>
/// <param name="LoaderOptions">Its bound options.</param>
/// <param name="Tokenizer">The tokenizer.</param>
/// <param name="Plan">The model with its expert, router and group options bound once (what its plugins' factories receive).</param>
/// <param name="BoundOptions">Bound plugin options by key path (for config.resolved.json).</param>
public sealed record PluginSelection(IDatasetLoader Loader, object? LoaderOptions, ITokenizer Tokenizer,
    ModelPlan Plan, IReadOnlyDictionary<string, object?> BoundOptions)
{
    /// <summary>The model configuration: <see cref="Plan"/>'s, whose plugin options are the JSON form of the bound ones (what config.json records).</summary>
    public PluginMoE.Abstractions.Checkpoints.ModelConfig Model => Plan.Config;

    /// <summary>The clusterer whose clusters replace the loader's domains (Data:Clusterer), or null to keep the labels.</summary>
    public ClusteringSetup? Clustering { get; init; }

    /// <summary>Resolves and binds everything the settings name.</summary>
    /// <exception cref="ConfigurationException">An unknown plugin (with the available names and the closest), or options the plugin rejects.</exception>
    public static PluginSelection Resolve(ProfileSettings settings, IPluginProvider plugins)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var errors = new List<string>();
        var selection = Resolve(settings, plugins, errors);
        if (errors.Count > 0) throw new ConfigurationException(settings.Describe(errors));
        return selection!;
    }

    /// <summary>
    /// Resolves and binds everything the settings name; each problem is appended to <paramref name="errors"/> (then the
    /// result is null). The lookups and bindings are done once per plugin provider and settings (the stages' start checks and
    /// their runs ask for the same ones): a repeated call returns the same plugins, bound options and plan with the same
    /// problems, and a tokenizer of its own, created anew from the bound options (a tokenizer may hold state: none is shared).
    /// </summary>
    public static PluginSelection? Resolve(ProfileSettings settings, IPluginProvider plugins, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(plugins);
        ArgumentNullException.ThrowIfNull(errors);
        Bound? mine = null;
        var done = BindingMemo.GetOrAdd(plugins, "selection\n" + Fingerprint(settings), () =>
        {
            var found = new List<string>();
            var selection = BindAll(settings, plugins, found, out var tokenizerFactory, out var tokenizerOptions);
            return mine = new Bound(found, selection, tokenizerFactory, tokenizerOptions);
        });
        errors.AddRange(done.Errors);
        // The call that bound keeps the tokenizer its check created; every later one gets its own.
        return done.Selection is null ? null : ReferenceEquals(done, mine) ? done.Selection : Fresh(done, settings, errors);
    }

    /// <summary>One call's result: its problems, or the selection with the tokenizer factory and options to create more tokenizers from.</summary>
    private sealed record Bound(IReadOnlyList<string> Errors, PluginSelection? Selection, ITokenizerFactory? TokenizerFactory, object? TokenizerOptions);

    // Everything BindAll reads: the Model and Data sections, the folder relative paths resolve against and the seed (clustering).
    private static string Fingerprint(ProfileSettings settings) =>
        JsonSerializer.Serialize(new JsonArray(JsonSerializer.SerializeToNode(settings.Model), JsonSerializer.SerializeToNode(settings.Data), settings.BaseDirectory, settings.Run.Seed));

    // The remembered selection with a new tokenizer, checked as the first one was.
    private static PluginSelection? Fresh(Bound done, ProfileSettings settings, List<string> errors)
    {
        int before = errors.Count;
        var tokenizer = CreateTokenizer(done.TokenizerFactory!, done.TokenizerOptions, settings, errors);
        if (tokenizer is not null) CheckVocabulary(tokenizer, settings, errors);
        return errors.Count > before ? null : done.Selection! with { Tokenizer = tokenizer! };
    }

    private static ITokenizer? CreateTokenizer(ITokenizerFactory factory, object? options, ProfileSettings settings, List<string> errors)
    {
        try { return factory.Create(options); }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or ArgumentException)
        {
            errors.Add($"Data:TokenizerOptions: tokenizer '{settings.Data.Tokenizer}': {e.Message}");
            return null;
        }
    }

    private static void CheckVocabulary(ITokenizer tokenizer, ProfileSettings settings, List<string> errors)
    {
        if (tokenizer.VocabSize > settings.Model.VocabSize)
            errors.Add($"Model:VocabSize: value {settings.Model.VocabSize} is not allowed: tokenizer '{settings.Data.Tokenizer}' has {tokenizer.VocabSize} ids, so it must be at least {tokenizer.VocabSize}");
    }

    private static PluginSelection? BindAll(ProfileSettings settings, IPluginProvider plugins, List<string> errors, out ITokenizerFactory? tokenizerFactory, out object? tokenizerOptions)
    {
        int before = errors.Count;
        tokenizerOptions = null;
        var bound = new Dictionary<string, object?>();
        var catalog = plugins.Catalog;

        var loader = Find(() => plugins.Get<IDatasetLoader>(PluginKind.DatasetLoader, settings.Data.Loader), "Data:Loader", errors);
        object? loaderOptions = loader is null ? null : Bind(loader, settings.Data.LoaderOptions, "Data:LoaderOptions", catalog, bound, errors);

        ITokenizer? tokenizer = null;
        tokenizerFactory = Find(() => plugins.Get<ITokenizerFactory>(PluginKind.Tokenizer, settings.Data.Tokenizer), "Data:Tokenizer", errors);
        if (tokenizerFactory is not null)
        {
            var options = Bind(tokenizerFactory, settings.Data.TokenizerOptions, "Data:TokenizerOptions", catalog, bound, errors);
            if (options is PluginMoE.Core.Composition.IRelativePathOptions paths) options = paths.WithBaseDirectory(settings.BaseDirectory);
            tokenizerOptions = options;
            tokenizer = CreateTokenizer(tokenizerFactory, options, settings, errors);
        }
        var clustering = SelectClustering(settings, plugins, bound, errors);
        if (tokenizer is not null) CheckVocabulary(tokenizer, settings, errors);

        var router = settings.Model.IsMoe ? Find(() => catalog.Router(settings.Model.Moe.Router), "Model:Moe:Router", errors) : null;
        var model = settings.Model.ToModelConfig(router?.DefaultTopK ?? IRouterFactory.FallbackTopK);
        var expert = Find(() => catalog.Expert(settings.Model.Expert), "Model:Expert", errors);
        object? expertOptions = expert is null ? null : Bind(expert, settings.Model.ExpertOptions, "Model:ExpertOptions", catalog, bound, errors);
        object?[]? groupOptions = null;
        if (model.Moe is { ExpertGroups: { } groups })
        {
            // Each group's plugin looked up and its options bound once (null where the group takes the model's options).
            groupOptions = new object?[groups.Count];
            for (int g = 0; g < groups.Count; g++)
            {
                var factory = Find(() => catalog.Expert(groups[g].Expert), $"Model:Moe:ExpertGroups:{g}:Expert", errors);
                bool inherits = groups[g].Options is null && string.Equals(groups[g].Expert, settings.Model.Expert, StringComparison.Ordinal);
                groupOptions[g] = factory is null || inherits ? null : Bind(factory, groups[g].Options, $"Model:Moe:ExpertGroups:{g}:Options", catalog, bound, errors);
            }
        }
        object? routerOptions = model.Moe is { } moe && router is not null ? Bind(router, moe.RouterOptions, "Model:Moe:RouterOptions", catalog, bound, errors) : null;
        var plan = ModelPlan.FromBound(model, expertOptions, routerOptions, groupOptions);
        if (plan.Config.Moe is not null && router is not null && errors.Count == before)
            RouterCheck.Build(catalog, plan, "Model:Moe", upcycled: false, errors);
        return errors.Count > before ? null : new PluginSelection(loader!, loaderOptions, tokenizer!, plan, bound) { Clustering = clustering };
    }

    // Data:Clusterer with its options, k and the embedder whose per-document vectors it clusters.
    private static ClusteringSetup? SelectClustering(ProfileSettings settings, IPluginProvider plugins, Dictionary<string, object?> bound, List<string> errors)
    {
        var data = settings.Data;
        if (data.Clusterer is not { Length: > 0 } clustererName || data.ClusterEmbedder is not { Length: > 0 } embedderName) return null;
        var clusterer = Find(() => plugins.Get<IDocumentClusterer>(PluginKind.DocumentClusterer, clustererName), "Data:Clusterer", errors);
        var embedder = Find(() => plugins.Get<IDomainEmbedder>(PluginKind.DomainEmbedder, embedderName), "Data:ClusterEmbedder", errors);
        object? clustererOptions = clusterer is null ? null : Bind(clusterer, data.ClustererOptions, "Data:ClustererOptions", plugins.Catalog, bound, errors);
        object? embedderOptions = embedder is null ? null : Bind(embedder, data.ClusterEmbedderOptions, "Data:ClusterEmbedderOptions", plugins.Catalog, bound, errors);
        return clusterer is null || embedder is null ? null
            : new ClusteringSetup(clusterer, clustererName, clustererOptions, data.Clusters, embedder, embedderName, embedderOptions,
                settings.Run.Seed, data.ClusterHeldOut == "labels");
    }

    private static T? Find<T>(Func<T> lookup, string key, List<string> errors) where T : class
    {
        try { return lookup(); }
        catch (Exception e) when (e is KeyNotFoundException or PluginUnavailableException)
        {
            errors.Add($"{key}: {e.Message.Trim('\'', '"')}");
            return null;
        }
    }

    private static object? Bind(IPluginFactory factory, JsonObject? options, string key, PluginMoE.Core.Composition.IComponentCatalog catalog,
        Dictionary<string, object?> bound, List<string> errors)
    {
        try
        {
            var value = catalog.BindOptions(factory, options, key);
            bound[key] = value;
            return value;
        }
        catch (ArgumentException e)
        {
            // One problem per line (every unknown key, wrong type and rejected value of the plugin's options).
            errors.AddRange(e.Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
            return null;
        }
    }
}
