// `pluginmoe score --checkpoint DIR --text FILE [--context N] [--json]`: mean next-token NLL and perplexity of a
// text under a checkpoint (byte tokenizer: the UTF-8 bytes are the ids; consecutive windows of --context tokens).
using System.CommandLine;
using System.Globalization;
using PluginMoE.Core.Inference;
using PluginMoE.Core.Text;
using PluginMoE.Host.Configuration;

namespace PluginMoE.Host.Cli;

/// <summary>The <c>score</c> command.</summary>
public static class ScoreCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliEnvironment env, Option<bool> verbose)
    {
        ArgumentNullException.ThrowIfNull(env);
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint folder (config.json + model.safetensors; Llama, Mixtral, DeepSeek-MoE or PluginMoE layout)", Required = true };
        var text = new Option<string>("--text") { Description = "UTF-8 text file to score", Required = true };
        var context = new Option<int?>("--context") { Description = "Window length in tokens (default: the checkpoint's max positions)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON line: {\"tokens\": N, \"mean_nll\": x, \"perplexity\": y}" };
        var command = new Command("score", "Mean negative log-likelihood and perplexity of a text under a checkpoint") { checkpoint, text, context, json };
        command.SetAction((parse, ct) => Task.FromResult(CommandAction.Execute(env, parse.GetValue(verbose), () =>
            Run(env, parse.GetValue(checkpoint)!, parse.GetValue(text)!, parse.GetValue(context), parse.GetValue(json), ct))));
        return command;
    }

    private static int Run(CliEnvironment env, string checkpoint, string textFile, int? context, bool json, CancellationToken ct)
    {
        string path = Path.GetFullPath(textFile, env.WorkingDirectory);
        if (!File.Exists(path)) throw new ConfigurationException($"--text: file '{path}' does not exist");
        var model = CheckpointInput.Load(env, checkpoint);
        var tokens = CheckpointTokenizer.Load(Path.GetFullPath(checkpoint, env.WorkingDirectory)).Encode(File.ReadAllText(path));   // the checkpoint's tokenizer.json, else bytes
        ScoreResult result;
        try { result = Scorer.Score(model, tokens, context, cancellationToken: ct); }
        catch (ArgumentException e) { throw new ConfigurationException(e.Message, e); }
        var c = CultureInfo.InvariantCulture;
        env.Out.WriteLine(json
            ? string.Create(c, $"{{\"tokens\": {result.Tokens}, \"mean_nll\": {result.MeanNll:R}, \"perplexity\": {result.Perplexity:R}}}")
            : string.Create(c, $"tokens {result.Tokens}  mean NLL {result.MeanNll:F4} nats/token  perplexity {result.Perplexity:F3}"));
        return ExitCodes.Success;
    }
}
