// Writes a file so that readers see the old content or the new, never a half-written file.
using System.Text;

namespace PluginMoE.Core.Recipe.Runs;

/// <summary>Temporary file + rename.</summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="text"/> (UTF-8) to <paramref name="path"/> atomically.</summary>
    public static void WriteAllText(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(path);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        string temp = $"{path}.{Guid.NewGuid():N}.tmp";
        using (var fs = new FileStream(temp, FileMode.CreateNew))
        {
            var bytes = new UTF8Encoding(false).GetBytes(text);
            fs.Write(bytes);
            fs.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
