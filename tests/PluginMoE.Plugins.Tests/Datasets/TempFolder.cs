// A temporary folder for loader tests, deleted on dispose, plus a diagnostics recorder.
using PluginMoE.Abstractions.Data;

namespace PluginMoE.Plugins.Tests.Datasets;

internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("pluginmoe-ds-").FullName;

    public string Write(string relative, string text) => Write(relative, System.Text.Encoding.UTF8.GetBytes(text));

    public string Write(string relative, byte[] bytes)
    {
        string full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, bytes);
        return full;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

internal sealed class RecordingDiagnostics : IDatasetDiagnostics
{
    public List<(string Source, long? Line, string Reason)> Skips { get; } = [];

    public List<string> Infos { get; } = [];

    public void Skipped(string source, long? line, string reason) => Skips.Add((source, line, reason));

    public void Info(string message) => Infos.Add(message);
}
