// `pluginmoe score --checkpoint DIR --text FILE [--context N] [--json] [--Section:Key=value ...]`: mean next-token
// NLL and perplexity of a file under a checkpoint. The byte tokenizer's ids are the file's bytes, read as they are
// (any file can be scored; nothing is decoded, so no replacement characters are invented); consecutive windows of
// --context tokens. Settings overrides such as --Plugins:Directories:0=DIR choose where plugins are found.
using System.CommandLine;
using System.Globalization;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Inference;
using PluginMoE.Core.Text;

namespace PluginMoE.Host.Cli;

/// <summary>The <c>score</c> command.</summary>
public static class ScoreCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliEnvironment env, Option<bool> verbose)
    {
        ArgumentNullException.ThrowIfNull(env);
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint folder (config.json + model.safetensors; Llama, Mixtral, DeepSeek-MoE or PluginMoE layout)", Required = true };
        var text = new Option<string>("--text") { Description = "File to score (its bytes are the byte tokenizer's ids; any file works)", Required = true };
        var context = new Option<int?>("--context") { Description = "Window length in tokens (default: the checkpoint's max positions)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON line: {\"tokens\": N, \"mean_nll\": x, \"perplexity\": y}" };
        var command = new Command("score", "Mean negative log-likelihood and perplexity of a file under a checkpoint (settings overrides such as --Plugins:Directories:0=DIR apply)")
        {
            checkpoint, text, context, json,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, ct) => Task.FromResult(CommandAction.Execute(env, parse.GetValue(verbose), () =>
            Run(env, parse.GetValue(checkpoint)!, parse.GetValue(text)!, parse.GetValue(context), parse.GetValue(json), parse.UnmatchedTokens, ct))));
        return command;
    }

    private static int Run(CliEnvironment env, string checkpoint, string textFile, int? context, bool json, IReadOnlyList<string> overrides, CancellationToken ct)
    {
        string path = Path.GetFullPath(textFile, env.WorkingDirectory);
        var model = CheckpointInput.Load(env, checkpoint, overrides);
        var tokenizer = CheckpointInput.LoadTokenizer(env, checkpoint, model); // tokenizer.json, else bytes
        // A tokenizer.json's post-processor (e.g. Llama-3's BOS) is applied, as the tool that wrote it feeds its model.
        var tokens = tokenizer switch
        {
            ByteTokenizer => ReadTokens(path),
            BpeTokenizer bpe => bpe.EncodeWithSpecialTokens(ReadUtf8(path)),
            _ => tokenizer.Encode(ReadUtf8(path)),
        };
        ScoreResult result;
        try { result = Scorer.Score(model, tokens, context, cancellationToken: ct); }
        catch (ArgumentException e) { throw new ConfigurationException(e.Message, e); }
        var c = CultureInfo.InvariantCulture;
        env.Out.WriteLine(json
            ? string.Create(c, $"{{\"tokens\": {result.Tokens}, \"mean_nll\": {result.MeanNll:R}, \"perplexity\": {result.Perplexity:R}}}")
            : string.Create(c, $"tokens {result.Tokens}  mean NLL {result.MeanNll:F4} nats/token  perplexity {result.Perplexity:F3}"));
        return ExitCodes.Success;
    }

    /// <summary>
    /// The byte tokenizer's ids of the file at <paramref name="path"/>: its bytes, exactly (for UTF-8 text these are the
    /// ids <see cref="ByteTokenizer.Encode"/> gives its text, byte-order mark included; other files score as the bytes they are).
    /// </summary>
    /// <exception cref="ConfigurationException">The path is missing, a folder, or unreadable.</exception>
    public static int[] ReadTokens(string path)
    {
        byte[] bytes = ReadBytes(path);
        var ids = new int[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) ids[i] = bytes[i];
        return ids;
    }

    private static byte[] ReadBytes(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
            throw new ConfigurationException($"--text: '{path}' is a folder; pass a file to score (for example one of the files in it)");
        if (!File.Exists(path)) throw new ConfigurationException($"--text: file '{path}' does not exist");
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"--text: cannot read '{path}': {e.Message}", e);
        }
        return bytes;
    }

    /// <summary>
    /// The text of the file at <paramref name="path"/> for a tokenizer that reads text (the checkpoint's tokenizer.json):
    /// strict UTF-8, so invalid bytes are refused with their offset instead of being replaced.
    /// </summary>
    /// <exception cref="ConfigurationException">The path is missing, a folder, unreadable, or not valid UTF-8.</exception>
    public static string ReadUtf8(string path)
    {
        var bytes = ReadBytes(path);
        try { return new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes); }
        catch (System.Text.DecoderFallbackException e)
        {
            throw new ConfigurationException(
                $"--text: '{path}' is not valid UTF-8 (first invalid byte at offset {e.Index}); this checkpoint's tokenizer reads text, so only UTF-8 files can be scored with it", e);
        }
    }
}
