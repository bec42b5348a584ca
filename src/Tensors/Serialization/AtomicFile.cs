// Crash-safe file replacement: write a temp file in the target's folder, flush it to disk, rename it over
// the target. A crash or error at any point leaves either the old file or the complete new one.
namespace PluginMoE.Tensors.Serialization;

/// <summary>Writes files so that readers never see a half-written one.</summary>
internal static class AtomicFile
{
    /// <summary>
    /// Runs <paramref name="write"/> on a temp file beside <paramref name="path"/>, flushes it to the device,
    /// and renames it over <paramref name="path"/> (an atomic replace on POSIX file systems and NTFS). On any
    /// error the temp file is deleted and the existing target is left untouched. The folder itself is not
    /// fsynced (.NET cannot open a folder handle portably), so after a power loss the rename may be lost,
    /// leaving the old complete file: never a torn one.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no parent folder", nameof(path));
        if (Directory.Exists(full))
            throw new IOException($"cannot write '{full}': a folder of that name exists");
        // Hidden, unique, same folder (so the rename never crosses file systems).
        var temp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); }
            catch (IOException) { /* best effort: the original error is what matters */ }
            catch (UnauthorizedAccessException) { }
            throw;
        }
    }
}
