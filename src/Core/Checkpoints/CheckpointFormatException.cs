// The error a checkpoint folder gives when it cannot be read or written as asked: names the file,
// what is wrong and what would work.
namespace PluginMoE.Core.Checkpoints;

/// <summary>A checkpoint folder, its config.json or its model.safetensors is missing, malformed or inconsistent.</summary>
public sealed class CheckpointFormatException : IOException
{
    /// <summary>Creates the error for <paramref name="path"/> (a folder or a file in it).</summary>
    /// <param name="path">The folder or file the problem is in.</param>
    /// <param name="message">The full message (it already names the path).</param>
    /// <param name="inner">The lower-level error, if any.</param>
    public CheckpointFormatException(string path, string message, Exception? inner = null) : base(message, inner) => Path = path;

    /// <summary>The folder or file the problem is in.</summary>
    public string Path { get; }
}
