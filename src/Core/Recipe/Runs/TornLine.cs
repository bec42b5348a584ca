// Appending to a JSON-lines file whose last line was cut short (a process killed mid-write, a disk that filled up):
// the torn line is ended first, so the next record starts a line of its own instead of being glued to the fragment.
namespace PluginMoE.Core.Recipe.Runs;

/// <summary>Ends a torn last line of an append-only JSON-lines file.</summary>
public static class TornLine
{
    /// <summary>
    /// Writes a newline to <paramref name="appending"/> (a stream opened with <see cref="FileMode.Append"/> on
    /// <paramref name="path"/>) when the file is not empty and does not end with one.
    /// </summary>
    public static void End(string path, Stream appending)
    {
        ArgumentNullException.ThrowIfNull(appending);
        if (appending.Position == 0) return;
        using (var read = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1))
        {
            if (read.Length == 0) return;
            read.Position = read.Length - 1;
            if (read.ReadByte() == '\n') return;
        }
        appending.WriteByte((byte)'\n');
    }
}
