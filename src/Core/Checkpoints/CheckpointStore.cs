// Checkpoint folders: config.json + model.safetensors in a Hugging Face layout (Llama, Mixtral,
// DeepSeek-MoE) or PluginMoE's own, written atomically with a SHA-256 checksum, validated on load.
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Tensors;
using PluginMoE.Tensors.Serialization;

namespace PluginMoE.Core.Checkpoints;

/// <summary>
/// Saves and loads checkpoint folders. A folder holds <c>config.json</c> (Hugging Face keys of its layout
/// plus a <c>pluginmoe</c> section) and <c>model.safetensors</c> (tensors under the layout's names).
/// In memory, a <see cref="ModelCheckpoint"/> always uses canonical names (see <see cref="CanonicalNames"/>).
/// </summary>
public static class CheckpointStore
{
    /// <summary>File name of the configuration.</summary>
    public const string ConfigFile = "config.json";

    /// <summary>File name of the weights.</summary>
    public const string WeightsFile = PluginMoeSection.WeightsFile;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// Writes <paramref name="checkpoint"/> to folder <paramref name="directory"/>, replacing it if it exists.
    /// Both files are written into a hidden sibling folder which is then renamed into place, so a crash
    /// leaves either the previous checkpoint or the new one, never a mix (files other than config.json and
    /// model.safetensors in an existing folder are carried over). The SHA-256 of model.safetensors is
    /// recorded in config.json and checked by <see cref="Load"/>.
    /// </summary>
    /// <param name="directory">The checkpoint folder.</param>
    /// <param name="checkpoint">Configuration and tensors by canonical name.</param>
    /// <param name="layout">The file layout; <see cref="CheckpointLayout.Auto"/> picks the most widely readable one that expresses the model exactly.</param>
    /// <returns>The layout written.</returns>
    /// <exception cref="ArgumentException">The tensors do not match the configuration, or <paramref name="layout"/> cannot express the model (the message says why).</exception>
    public static CheckpointLayout Save(string directory, ModelCheckpoint checkpoint, CheckpointLayout layout = CheckpointLayout.Auto)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(checkpoint);
        var c = checkpoint.Config;
        var chosen = LayoutSelector.Choose(c, checkpoint.Tensors.Keys, layout, checkpoint.HuggingFace);
        var form = chosen == CheckpointLayout.PluginMoE ? null : checkpoint.HuggingFace;
        // A lazily produced map (a merge over memory-mapped inputs) is checked from its declared shapes and written tensor by
        // tensor, each produced when the writer reaches it: the model is never whole in memory.
        var lazy = checkpoint.Tensors as ILazyTensorMap;
        var shapes = checkpoint.Tensors.Keys.ToDictionary(n => n, n => lazy?.ShapeOf(n) ?? checkpoint.Tensors[n].shape, StringComparer.Ordinal);
        var problems = TensorValidator.Check(TensorSchema.For(c, chosen, form), shapes, n => n);
        if (problems is not null)
            throw new ArgumentException($"cannot save checkpoint to '{directory}': its tensors do not match its config: {problems}", nameof(checkpoint));

        var target = Path.GetFullPath(directory);
        var parent = Path.GetDirectoryName(target) ?? throw new ArgumentException($"'{directory}' has no parent folder", nameof(directory));
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(temp);
        try
        {
            var weights = Path.Combine(temp, WeightsFile);
            var tensors = checkpoint.Tensors;
            var deferred = shapes.Select(kv => new DeferredTensor(LayoutNames.ToFile(kv.Key, chosen), kv.Value,
                lazy?.DTypeOf(kv.Key) ?? tensors[kv.Key].dtype, () => tensors[kv.Key]));
            SafeTensors.Save(weights, deferred, new Dictionary<string, string> { ["format"] = "pt" }); // "pt": what HF loaders expect
            var json = HfConfigWriter.Write(c, chosen, TorchDType(checkpoint), Sha256(weights), form);
            using (var fs = new FileStream(Path.Combine(temp, ConfigFile), FileMode.CreateNew))
            {
                JsonSerializer.Serialize(fs, json, Indented);
                fs.Flush(flushToDisk: true);
            }
            Swap(temp, target);
        }
        catch
        {
            try { if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true); }
            catch (IOException) { /* best effort: the original error matters */ }
            throw;
        }
        return chosen;
    }

    /// <summary>
    /// Reads checkpoint folder <paramref name="directory"/> in any supported layout (detected from
    /// config.json's <c>model_type</c>) and returns it with canonical tensor names. Checks that the folder
    /// and both files exist, that config.json parses and has the keys its layout requires (unknown keys are
    /// ignored), that model.safetensors matches its recorded checksum (when there is one), and that every
    /// tensor the config implies is present with the right shape and no other tensor is.
    /// </summary>
    /// <param name="directory">The checkpoint folder.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="CheckpointFormatException">A file is missing, malformed or inconsistent; the message names it and what is wrong.</exception>
    public static ModelCheckpoint Load(string directory)
    {
        var (layout, config, form, weights, recorded) = ReadConfig(directory);
        if (recorded is not null)
        {
            var actual = Sha256(weights);
            if (!string.Equals(actual, recorded, StringComparison.OrdinalIgnoreCase))
                throw new CheckpointFormatException(weights,
                    $"'{weights}' does not match the checksum recorded in config.json: expected SHA-256 {recorded}, file has {actual}; the file was modified or damaged after it was saved");
        }
        SafeTensorsFile file;
        try { file = SafeTensorsFile.Open(weights); }
        catch (SafeTensorsFormatException e)
        {
            throw new CheckpointFormatException(weights, $"checkpoint folder '{directory}': {e.Message}", e);
        }
        using (file)
        {
            var shapes = file.Tensors.ToDictionary(t => t.Name, t => t.ShapeArray(), StringComparer.Ordinal);
            var problems = TensorValidator.CheckFile(TensorSchema.For(config, layout, form), shapes, layout);
            if (problems is not null)
                throw new CheckpointFormatException(weights, $"'{weights}' does not match its {layout} config.json: {problems}");
            var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var name in file.Names)
                tensors[LayoutNames.ToCanonical(name, layout)!] = file.GetTensor(name);
            return new ModelCheckpoint(config, tensors) { HuggingFace = form, Source = System.IO.Path.Combine(directory, ConfigFile) };
        }
    }

    /// <summary>The layout of the checkpoint in <paramref name="directory"/>, from its config.json.</summary>
    /// <exception cref="CheckpointFormatException">config.json is missing or malformed.</exception>
    public static CheckpointLayout DetectLayout(string directory) => ReadConfig(directory).Layout;

    internal static (CheckpointLayout Layout, ModelConfig Config, HuggingFaceForm? Form, string Weights, string? Sha256) ReadConfig(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"checkpoint folder '{directory}' does not exist");
        var configPath = Path.Combine(directory, ConfigFile);
        if (!File.Exists(configPath))
            throw new CheckpointFormatException(configPath, $"'{configPath}' is missing: a checkpoint folder holds {ConfigFile} and {WeightsFile}");
        JsonObject json;
        try
        {
            json = JsonNode.Parse(File.ReadAllText(configPath)) as JsonObject
                ?? throw new CheckpointFormatException(configPath, $"'{configPath}' must hold a JSON object");
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(configPath, $"'{configPath}' is not valid JSON: {e.Message}", e);
        }
        var (layout, config, form, sha) = HfConfigReader.Read(json, configPath);
        var weights = Path.Combine(directory, WeightsFile);
        if (!File.Exists(weights))
        {
            var sharded = File.Exists(weights + ".index.json") ? " (sharded checkpoints with model.safetensors.index.json are not supported: merge the shards into one file)" : "";
            throw new CheckpointFormatException(weights, $"'{weights}' is missing: a checkpoint folder holds {ConfigFile} and {WeightsFile}{sharded}");
        }
        return (layout, config, form, weights, sha);
    }

    /// <summary>Moves <paramref name="temp"/> to <paramref name="target"/>, replacing an existing folder.</summary>
    private static void Swap(string temp, string target)
    {
        if (File.Exists(target)) throw new IOException($"cannot write checkpoint folder '{target}': a file of that name exists");
        if (!Directory.Exists(target)) { Directory.Move(temp, target); return; }
        foreach (var entry in Directory.EnumerateFileSystemEntries(target))
        {
            var name = Path.GetFileName(entry);
            if (name is ConfigFile or WeightsFile) continue;
            var dest = Path.Combine(temp, name);
            if (Directory.Exists(entry)) Directory.Move(entry, dest); else File.Move(entry, dest);
        }
        // Two renames: between them the folder is absent (a reader sees "does not exist"), never torn.
        var old = temp[..^".tmp".Length] + ".old";
        Directory.Move(target, old);
        Directory.Move(temp, target);
        Directory.Delete(old, recursive: true);
    }

    internal static string Sha256(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(fs));
    }

    private static string TorchDType(ModelCheckpoint checkpoint) =>
        (checkpoint.Tensors is ILazyTensorMap lazy ? checkpoint.Tensors.Keys.Select(lazy.DTypeOf) : checkpoint.Tensors.Values.Select(t => t.dtype))
            .FirstOrDefault(t => t.IsFloatingPoint(), ScalarType.Float32).TorchName();
}
