// The error raised for a malformed or corrupt safetensors file: it names the file, the tensor, what is wrong
// and what was expected.
namespace PluginMoE.Tensors.Serialization;

/// <summary>
/// A safetensors file (or buffer) is malformed: truncated, with a bad header, or with tensor entries that do
/// not describe its data. The message starts with the file path and, where one is involved, the tensor name.
/// It derives from <see cref="IOException"/> (as <see cref="InvalidDataException"/> is sealed), so code that
/// handles I/O failures of a checkpoint load handles a corrupt file too.
/// </summary>
public sealed class SafeTensorsFormatException : IOException
{
    /// <summary>Creates the exception; the message is built from the parts.</summary>
    /// <param name="filePath">The file (or a description of the buffer) that was read.</param>
    /// <param name="tensorName">The tensor whose entry is wrong, or null for a file-level problem.</param>
    /// <param name="detail">What is wrong and what was expected.</param>
    /// <param name="inner">The underlying error (e.g. the JSON parser's), if any.</param>
    public SafeTensorsFormatException(string filePath, string? tensorName, string detail, Exception? inner = null)
        : base(Format(filePath, tensorName, detail), inner)
    {
        FilePath = filePath;
        TensorName = tensorName;
    }

    /// <summary>The file (or buffer description) that failed to parse.</summary>
    public string FilePath { get; }

    /// <summary>The tensor whose entry is wrong, or null for a file-level problem.</summary>
    public string? TensorName { get; }

    private static string Format(string filePath, string? tensorName, string detail) =>
        tensorName is null
            ? $"safetensors file '{filePath}': {detail}"
            : $"safetensors file '{filePath}', tensor '{tensorName}': {detail}";
}
