// Checks a settings file's JSON before the configuration provider reads it, so that a broken profile is
// reported with its file, line and column (the provider's own error hides both behind "failed to load").
using System.Text.Json;
using PluginMoE.Core.Composition;

namespace PluginMoE.Host.Configuration;

/// <summary>Validates JSON settings files.</summary>
public static class JsonFileCheck
{
    /// <summary>Throws <see cref="ConfigurationException"/> naming the file, line and column when <paramref name="path"/> is not valid JSON.</summary>
    public static void EnsureValid(string path, string what)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path),
                new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new ConfigurationException($"{what} '{path}' must hold a JSON object ({{ \"Section\": {{ ... }} }}), but it holds a {doc.RootElement.ValueKind}");
        }
        catch (JsonException e)
        {
            long line = (e.LineNumber ?? 0) + 1, column = (e.BytePositionInLine ?? 0) + 1;
            // JsonException messages end with their own "LineNumber: x | BytePositionInLine: y."; keep the reason only.
            string reason = e.Message.Split(" LineNumber:")[0].TrimEnd('.', ' ');
            throw new ConfigurationException($"{what} '{path}' is not valid JSON at line {line}, column {column}: {reason}; fix the file (comments and trailing commas are allowed)", e);
        }
    }
}
