// What `pluginmoe merge` and `pluginmoe extend` share: opening input checkpoints memory-mapped (errors name
// the option and folder), binding --Merge:* and --RouterOptions:* overrides, building routers from their
// plugin, parameter counts, and writing the result atomically with its provenance in config.json.
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Merging;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Model;
using PluginMoE.Core.Recipe.Services;
using PluginMoE.Core.Recipe.Stages;
using PluginMoE.Host.Configuration;
using PluginMoE.Tensors;
using PluginMoE.Tensors.Serialization;

namespace PluginMoE.Host.Cli;

/// <summary>Helpers of the merge and extend commands.</summary>
public static class MergeSupport
{
    /// <summary>Test seam: called with a step name ("weights", "provenance") while the output is staged; throwing there simulates a crash.</summary>
    internal static Action<string>? FaultInjection { get; set; }

    /// <summary>Opens an input checkpoint folder memory-mapped, checking its config, checksum and tensors.</summary>
    /// <exception cref="ConfigurationException">The folder is missing or the checkpoint is malformed or damaged; the message names the option.</exception>
    public static MappedCheckpoint Open(CliEnvironment env, string option, string directory)
    {
        ArgumentNullException.ThrowIfNull(env);
        string path = Path.GetFullPath(directory, env.WorkingDirectory);
        if (!Directory.Exists(path))
            throw new ConfigurationException($"{option}: folder '{path}' does not exist; pass a checkpoint folder (config.json + model.safetensors)");
        try { return MappedCheckpoint.Open(path); }
        catch (CheckpointFormatException e) { throw new ConfigurationException($"{option}: cannot use '{path}': {e.Message}", e); }
    }

    /// <summary>
    /// The default domain name of an expert checkpoint folder: the folder's name, or its parent's when the folder is
    /// named <c>model</c> (the recipe's run folders keep each expert in <c>branch/&lt;domain&gt;/model</c>).
    /// </summary>
    public static string DomainFromFolder(CliEnvironment env, string directory)
    {
        ArgumentNullException.ThrowIfNull(env);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory, env.WorkingDirectory));
        var name = Path.GetFileName(full);
        return name == RecipeStage.ModelFolder && Path.GetFileName(Path.GetDirectoryName(full)) is { Length: > 0 } parent ? parent : name;
    }

    /// <summary>The plugins of the default settings (plugins/ beside the host, then Plugins:Directories).</summary>
    public static IPluginProvider Plugins(CliEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(env);
        var settings = HostSettings.Load(LayeredConfiguration.Build(new ConfigurationRequest
        {
            HostDirectory = env.HostDirectory,
            WorkingDirectory = env.WorkingDirectory,
            Environment = env.Environment,
        }));
        return env.Plugins(RunCommand.PluginDirectories(env, settings));
    }

    /// <summary>The merge strategy plugin <paramref name="name"/>, or a usage error listing the installed ones.</summary>
    public static IMergeStrategy Strategy(IPluginProvider plugins, string name, string option)
    {
        ArgumentNullException.ThrowIfNull(plugins);
        try { return plugins.Get<IMergeStrategy>(PluginKind.MergeStrategy, name); }
        catch (Exception e) when (e is KeyNotFoundException or Host.Plugins.PluginLoadException)
        {
            throw new ConfigurationException($"{option}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Splits the command's extra tokens (<c>--Merge:Key=value</c>, <c>--RouterOptions:Key=value</c>) into the two
    /// JSON sections; any other token is a usage error.
    /// </summary>
    public static (JsonObject? Merge, JsonObject? RouterOptions) Overrides(IReadOnlyList<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        foreach (var t in tokens)
        {
            bool known = t.StartsWith("--Merge:", StringComparison.OrdinalIgnoreCase) || t.StartsWith("--RouterOptions:", StringComparison.OrdinalIgnoreCase);
            if (!known || !t.Contains('=', StringComparison.Ordinal))
                throw new ConfigurationException($"unknown argument '{t}': besides its options this command takes strategy options as --Merge:<Option>=<value> and router options as --RouterOptions:<Option>=<value>");
        }
        var config = new ConfigurationBuilder().AddCommandLine([.. tokens]).Build();
        return (SectionJson.ToObject(config.GetSection("Merge")), SectionJson.ToObject(config.GetSection("RouterOptions")));
    }

    /// <summary>Binds and validates options for <paramref name="factory"/> (see <see cref="MergeComposition.Bind"/>).</summary>
    public static object? Bind(IComponentCatalog catalog, IPluginFactory factory, JsonObject? options, string keyPath) =>
        MergeComposition.Bind(catalog, factory, options, keyPath);

    /// <summary>Checks a router plugin and its options, and returns them bound (see <see cref="MergeComposition.CheckRouter"/>).</summary>
    public static object? CheckRouter(IComponentCatalog catalog, string name, JsonObject? options) => MergeComposition.CheckRouter(catalog, name, options);

    /// <summary>Adds freshly initialised routers to a merged checkpoint (see <see cref="MergeComposition.AttachRouters"/>).</summary>
    public static (ModelCheckpoint Checkpoint, List<RouterModule> Routers) AttachRouters(ModelCheckpoint merged, IComponentCatalog catalog, long seed, object? routerOptions = null) =>
        MergeComposition.AttachRouters(merged, catalog, seed, routerOptions);

    /// <summary>
    /// Parameter counts of a checkpoint from its tensors: the total, and per token everything outside the routed
    /// experts plus k routed experts per MoE layer; at inference each router counts as its <c>ToInference()</c> form.
    /// </summary>
    public static ParameterCounts Count(ModelCheckpoint checkpoint, IReadOnlyList<RouterModule> routers)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(routers);
        var c = checkpoint.Config;
        long Numel(string name) => checkpoint.Tensors is ILazyTensorMap m ? m.ShapeOf(name).Aggregate(1L, (a, b) => a * b) : checkpoint.Tensors[name].numel();
        var names = checkpoint.Tensors.Keys.Where(n => n != CanonicalNames.DomainEmbeddings).ToList();
        long total = names.Sum(Numel);
        long training = total, inference = total;
        if (c.Moe is { } moe)
        {
            int r = 0;
            for (int i = 0; i < c.NumHiddenLayers; i++)
            {
                if (!moe.IsMoeLayer(i)) continue;
                var perExpert = Enumerable.Range(0, moe.NumExperts)
                    .Select(j => names.Where(n => n.StartsWith(CanonicalNames.Expert(i, j), StringComparison.Ordinal)).Sum(Numel)).ToList();
                long active = Math.Min(moe.TopK, moe.NumExperts) * perExpert.Max();
                training += active - perExpert.Sum();
                long router = names.Where(n => n.StartsWith(CanonicalNames.Router(i), StringComparison.Ordinal)).Sum(Numel);
                long frozen = r < routers.Count ? routers[r].ToInference().Router.num_parameters() : router;
                inference += active - perExpert.Sum() - router + frozen;
                r++;
            }
        }
        return new ParameterCounts(total, training, inference);
    }

    /// <summary>
    /// Writes <paramref name="checkpoint"/> to <paramref name="outDirectory"/> with <paramref name="provenance"/> as the
    /// <c>pluginmoe.provenance</c> section of config.json. Everything is written into a hidden sibling folder that is
    /// renamed into place only when complete, so an interrupted merge leaves no output folder (only, after a kill,
    /// a hidden <c>.name.*.merge</c> folder). An existing output folder is replaced only with <paramref name="overwrite"/>.
    /// </summary>
    /// <returns>The file layout written.</returns>
    public static CheckpointLayout Write(string outDirectory, ModelCheckpoint checkpoint, JsonObject provenance, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(provenance);
        var target = Path.GetFullPath(outDirectory);
        var parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.merge");
        try
        {
            var layout = CheckpointStore.Save(staging, checkpoint);
            FaultInjection?.Invoke("weights");
            var configPath = Path.Combine(staging, CheckpointStore.ConfigFile);
            var json = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
            if (json["pluginmoe"] is JsonObject section) section["provenance"] = provenance;
            else json["pluginmoe"] = new JsonObject { ["provenance"] = provenance };
            AtomicText(configPath, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            FaultInjection?.Invoke("provenance");
            if (Directory.Exists(target))
            {
                if (!overwrite) throw new ConfigurationException($"--out: folder '{target}' exists; choose a new folder or pass --overwrite");
                var old = staging[..^".merge".Length] + ".old";
                Directory.Move(target, old);
                Directory.Move(staging, target);
                Directory.Delete(old, recursive: true);
            }
            else Directory.Move(staging, target);
            return layout;
        }
        catch
        {
            try { if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true); }
            catch (IOException) { /* best effort: the original error matters */ }
            throw;
        }
    }

    /// <summary>Checks the output folder before any work: it must not exist (unless overwriting) nor be an input.</summary>
    public static string CheckOut(CliEnvironment env, string outDirectory, bool overwrite, IEnumerable<string> inputs)
    {
        ArgumentNullException.ThrowIfNull(env);
        var target = Path.GetFullPath(outDirectory, env.WorkingDirectory).TrimEnd(Path.DirectorySeparatorChar);
        if (File.Exists(target)) throw new ConfigurationException($"--out: '{target}' is a file; give a folder for the merged checkpoint");
        if (Directory.Exists(target) && !overwrite) throw new ConfigurationException($"--out: folder '{target}' exists; choose a new folder or pass --overwrite");
        foreach (var input in inputs)
            if (string.Equals(Path.GetFullPath(input, env.WorkingDirectory).TrimEnd(Path.DirectorySeparatorChar), target, StringComparison.Ordinal))
                throw new ConfigurationException($"--out: '{target}' is also an input; write the result to another folder");
        return target;
    }

    /// <summary>One provenance entry: role, folder, SHA-256 of model.safetensors, and whether the checkpoint recorded it.</summary>
    public static JsonObject Source(string role, MappedCheckpoint input, string? domain = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        var o = new JsonObject { ["role"] = role };
        if (domain is not null) o["domain"] = domain;
        o["path"] = input.Directory;
        o["layout"] = input.Layout.ToString();
        o["sha256"] = input.Sha256;
        o["checksum_recorded"] = input.ChecksumRecorded;
        return o;
    }

    /// <summary>A file's provenance entry (domain embeddings): path and SHA-256.</summary>
    public static JsonObject FileSource(string role, string path)
    {
        using var fs = File.OpenRead(path);
        return new JsonObject { ["role"] = role, ["path"] = path, ["sha256"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(fs)) };
    }

    /// <summary>
    /// Reads domain embeddings from a safetensors file: the tensor named after each domain, or, for a single
    /// domain, the file's only tensor.
    /// </summary>
    public static Dictionary<string, Tensor> Embeddings(CliEnvironment env, string option, string file, IReadOnlyList<string> domains)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(domains);
        var path = Path.GetFullPath(file, env.WorkingDirectory);
        if (!File.Exists(path)) throw new ConfigurationException($"{option}: file '{path}' does not exist; pass a safetensors file with one (m) vector per domain, named by domain");
        OrderedDictionary<string, Tensor> all;
        try { all = SafeTensors.Load(path); }
        catch (SafeTensorsFormatException e) { throw new ConfigurationException($"{option}: {e.Message}", e); }
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        if (domains.Count == 1 && all.Count == 1) { result[domains[0]] = all.GetAt(0).Value; return result; }
        var missing = domains.Where(d => !all.ContainsKey(d)).ToList();
        if (missing.Count > 0)
            throw new ConfigurationException($"{option}: '{path}' has no embedding for domain{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing.Select(d => $"'{d}'"))}; it holds {string.Join(", ", all.Keys.Select(k => $"'{k}'"))}");
        foreach (var d in domains) result[d] = all[d];
        return result;
    }

    /// <summary>The printed parameter line (as the Nexus paper's table: total, active in training, active at inference).</summary>
    public static string Describe(ParameterCounts counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"parameters: total {counts.Total:N0}, active in training {counts.ActiveTraining:N0}, active at inference {counts.ActiveInference:N0}");
    }

    private static void AtomicText(string path, string text)
    {
        var temp = path + ".tmp";
        using (var fs = new FileStream(temp, FileMode.Create, FileAccess.Write))
        using (var w = new StreamWriter(fs))
        {
            w.Write(text);
            w.Flush();
            fs.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
