// A checkpoint folder opened without loading its weights: config.json is read and checked as by
// CheckpointStore.Load, model.safetensors is memory-mapped, and tensors are copied out one at a time
// when asked for (what merge strategies need to combine many models in the memory of about one).
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Tensors;
using PluginMoE.Tensors.Serialization;

namespace PluginMoE.Core.Checkpoints;

/// <summary>
/// An open checkpoint folder whose <see cref="Checkpoint"/> reads tensors on demand (its
/// <see cref="ModelCheckpoint.Tensors"/> is an <see cref="ILazyTensorMap"/>). Dispose it to release the mapping;
/// tensors already read stay valid.
/// </summary>
public sealed class MappedCheckpoint : IDisposable
{
    private readonly SafeTensorsFile _file;

    private MappedCheckpoint(string directory, CheckpointLayout layout, string sha256, bool recorded, SafeTensorsFile file, ModelConfig config, HuggingFaceForm? form)
    {
        Directory = directory;
        Layout = layout;
        Sha256 = sha256;
        ChecksumRecorded = recorded;
        _file = file;
        Checkpoint = new ModelCheckpoint(config, new LazyTensors(file, layout)) { HuggingFace = form, Source = Path.Combine(directory, CheckpointStore.ConfigFile) };
    }

    /// <summary>
    /// Opens <paramref name="directory"/> with every check of <see cref="CheckpointStore.Load"/> (config keys, the
    /// recorded checksum, every tensor name and shape against the config) but without copying tensor data.
    /// The SHA-256 of model.safetensors is always computed (for provenance), and compared with the recorded one when there is one.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="CheckpointFormatException">A file is missing, malformed, damaged or inconsistent; the message names it.</exception>
    public static MappedCheckpoint Open(string directory)
    {
        var (layout, config, form, weights, recorded) = CheckpointStore.ReadConfig(directory);
        var actual = CheckpointStore.Sha256(weights);
        if (recorded is not null && !string.Equals(actual, recorded, StringComparison.OrdinalIgnoreCase))
            throw new CheckpointFormatException(weights,
                $"'{weights}' does not match the checksum recorded in config.json: expected SHA-256 {recorded}, file has {actual}; the file was modified or damaged after it was saved");
        SafeTensorsFile file;
        try { file = SafeTensorsFile.Open(weights); }
        catch (SafeTensorsFormatException e)
        {
            throw new CheckpointFormatException(weights, $"checkpoint folder '{directory}': {e.Message}", e);
        }
        var shapes = file.Tensors.ToDictionary(t => t.Name, t => t.ShapeArray(), StringComparer.Ordinal);
        var problems = TensorValidator.CheckFile(TensorSchema.For(config, layout, form), shapes, layout);
        if (problems is not null)
        {
            file.Dispose();
            throw new CheckpointFormatException(weights, $"'{weights}' does not match its {layout} config.json: {problems}");
        }
        return new MappedCheckpoint(Path.GetFullPath(directory), layout, actual.ToLowerInvariant(), recorded is not null, file, config, form);
    }

    /// <summary>The folder (full path).</summary>
    public string Directory { get; }

    /// <summary>The file layout config.json declares.</summary>
    public CheckpointLayout Layout { get; }

    /// <summary>SHA-256 of model.safetensors (lower-case hex), computed when opened.</summary>
    public string Sha256 { get; }

    /// <summary>True when config.json recorded a checksum (and it matched); false for files written by other tools.</summary>
    public bool ChecksumRecorded { get; }

    /// <summary>The configuration and the lazily read tensors under canonical names.</summary>
    public ModelCheckpoint Checkpoint { get; }

    /// <summary>Releases the mapping.</summary>
    public void Dispose() => _file.Dispose();

    /// <summary>Canonical names over the mapped file; every access copies the tensor out again.</summary>
    private sealed class LazyTensors : ILazyTensorMap
    {
        private readonly SafeTensorsFile _file;
        private readonly Dictionary<string, string> _fileNames; // canonical -> file name

        public LazyTensors(SafeTensorsFile file, CheckpointLayout layout)
        {
            _file = file;
            _fileNames = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var name in file.Names) _fileNames[LayoutNames.ToCanonical(name, layout)!] = name;
        }

        public string Source => _file.Path;

        public long[] ShapeOf(string name) => _file.GetInfo(FileName(name)).ShapeArray();

        public ScalarType DTypeOf(string name) => _file.GetInfo(FileName(name)).ScalarType;

        public Tensor this[string key] => _file.GetTensor(FileName(key));

        public IEnumerable<string> Keys => _fileNames.Keys;

        public IEnumerable<Tensor> Values => Keys.Select(k => this[k]);

        public int Count => _fileNames.Count;

        public bool ContainsKey(string key) => _fileNames.ContainsKey(key);

        public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Tensor value)
        {
            if (_fileNames.TryGetValue(key, out var f)) { value = _file.GetTensor(f); return true; }
            value = null!;
            return false;
        }

        public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator() =>
            Keys.Select(k => KeyValuePair.Create(k, this[k])).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        private string FileName(string canonical) => _fileNames.TryGetValue(canonical, out var f) ? f
            : throw new KeyNotFoundException($"checkpoint '{_file.Path}' has no tensor '{canonical}'");
    }
}
