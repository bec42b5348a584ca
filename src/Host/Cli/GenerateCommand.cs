// `pluginmoe generate --checkpoint DIR --prompt TEXT [--max-tokens N] [--temperature T] [--top-p P] [--seed S]
// [--Section:Key=value ...]`: sampling with a KV cache, streamed to stdout (prompt first, then the continuation,
// then a newline). Settings overrides such as --Plugins:Directories:0=DIR choose where plugins are found.
using System.CommandLine;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Inference;

namespace PluginMoE.Host.Cli;

/// <summary>The <c>generate</c> command.</summary>
public static class GenerateCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliEnvironment env, Option<bool> verbose)
    {
        ArgumentNullException.ThrowIfNull(env);
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint folder", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "Text to continue", Required = true };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Tokens to generate", DefaultValueFactory = _ => 200 };
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature (0 = greedy)", DefaultValueFactory = _ => 0.8 };
        var topP = new Option<double>("--top-p") { Description = "Nucleus sampling mass in (0, 1]", DefaultValueFactory = _ => 0.95 };
        var seed = new Option<long>("--seed") { Description = "Seed of the sampler (same seed, same text)", DefaultValueFactory = _ => 0 };
        var command = new Command("generate", "Continue a prompt by sampling from a checkpoint (settings overrides such as --Plugins:Directories:0=DIR apply)")
        {
            checkpoint, prompt, maxTokens, temperature, topP, seed,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, ct) => Task.FromResult(CommandAction.Execute(env, parse.GetValue(verbose), () =>
        {
            var options = new GenerationOptions
            {
                MaxTokens = parse.GetValue(maxTokens),
                Temperature = parse.GetValue(temperature),
                TopP = parse.GetValue(topP),
                Seed = parse.GetValue(seed),
            };
            try { options.Validate(); }
            catch (ArgumentOutOfRangeException e) { throw new ConfigurationException(e.Message.Split(" (Parameter")[0], e); }
            var model = CheckpointInput.Load(env, parse.GetValue(checkpoint)!, parse.UnmatchedTokens);
            var tokenizer = CheckpointInput.LoadTokenizer(env, parse.GetValue(checkpoint)!, model); // tokenizer.json, else bytes
            string text = parse.GetValue(prompt)!;
            env.Out.Write(text);
            bool written = text.Length > 0;
            try
            {
                foreach (var token in TextGenerator.Stream(model, tokenizer, text, options, ct))
                {
                    env.Out.Write(token.Text);
                    written |= token.Text.Length > 0;
                }
            }
            catch (ArgumentException e) when (e is not ArgumentOutOfRangeException)
            {
                throw new ConfigurationException($"--prompt: {e.Message.Split(" (Parameter")[0]}", e);
            }
            finally
            {
                // The text ends its line also when generation stops early (an error, Ctrl+C), so the shell prompt starts on a new one.
                if (written) env.Out.WriteLine();
            }
            return ExitCodes.Success;
        })));
        return command;
    }
}
