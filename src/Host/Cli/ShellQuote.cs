// Quotes command-line words for a POSIX shell, so that a printed command can be pasted back as it is.
namespace PluginMoE.Host.Cli;

/// <summary>POSIX shell quoting.</summary>
public static class ShellQuote
{
    /// <summary><paramref name="word"/> as is when it has only safe characters, else in single quotes.</summary>
    public static string Quote(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=,+@%".Contains(c, StringComparison.Ordinal))) return word;
        return "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }
}
