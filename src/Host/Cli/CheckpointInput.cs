// Loading the model of `--checkpoint DIR` for score and generate, with usage errors that name the folder.
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Model;
using PluginMoE.Core.Text;
using PluginMoE.Abstractions.Data;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Host.Configuration;
using PluginMoE.Host.Plugins;

namespace PluginMoE.Host.Cli;

/// <summary>Opens checkpoints given on the command line.</summary>
public static class CheckpointInput
{
    /// <summary>
    /// The model in <paramref name="directory"/>, built with the plugins of the default settings with
    /// <paramref name="overrides"/> (<c>--Plugins:Directories:0=DIR</c>, ...) applied.
    /// </summary>
    /// <exception cref="ConfigurationException">The folder or its files are missing, unreadable or invalid (config.json values out of range included), or an override is malformed.</exception>
    public static TransformerLM Load(CliEnvironment env, string directory, IReadOnlyList<string>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(env);
        string path = Path.GetFullPath(directory, env.WorkingDirectory);
        if (!Directory.Exists(path))
            throw new ConfigurationException($"--checkpoint: folder '{path}' does not exist; pass a checkpoint folder (config.json + model.safetensors), e.g. runs/<run>/train/model");
        if (!File.Exists(Path.Combine(path, CheckpointStore.ConfigFile)))
            throw new ConfigurationException($"--checkpoint: folder '{path}' has no {CheckpointStore.ConfigFile}; a checkpoint folder holds config.json and model.safetensors");
        var settings = HostSettings.Load(LayeredConfiguration.Build(new ConfigurationRequest
        {
            HostDirectory = env.HostDirectory,
            WorkingDirectory = env.WorkingDirectory,
            Environment = env.Environment,
            Overrides = overrides ?? [],
        }));
        Devices.DeviceActivation.Report(env.Error, // --Run:Device=torch-cpu; on stderr, as stdout may be JSON or the generated text
            Devices.DeviceActivation.Activate(settings.Run.Device, settings.Run.BackendDirectory, AppContext.BaseDirectory));
        var plugins = env.Plugins(settings);
        ModelCheckpoint checkpoint;
        try { checkpoint = CheckpointStore.Load(path); }
        catch (Exception e) when (e is InvalidDataException or CheckpointFormatException or FileNotFoundException)
        {
            throw new ConfigurationException($"--checkpoint: cannot load '{path}': {e.Message}", e);
        }
        try
        {
            return TransformerLM.FromCheckpoint(checkpoint, plugins.Catalog);
        }
        catch (Exception e) when (e is KeyNotFoundException or PluginLoadException)
        {
            throw new ConfigurationException($"--checkpoint: cannot build the model of '{path}': {e.Message}", e);
        }
        catch (InvalidDataException e)
        {
            // The tensors of model.safetensors are not those of the model config.json describes (a config edited or
            // taken from another checkpoint, e.g. its moe section removed).
            throw new ConfigurationException(
                $"--checkpoint: '{Path.Combine(path, CheckpointStore.ConfigFile)}' and the tensors beside it do not describe the same model: " +
                $"{CommandAction.OneParagraph(e.Message)}; use the config.json that was saved with these tensors", e);
        }
        catch (ArgumentException e)
        {
            // The plugins' options or the architecture are refused (lists of problems are one per line).
            string reason = CommandAction.OneParagraph(e.Message);
            throw new ConfigurationException($"--checkpoint: cannot build the model of '{path}' from its {CheckpointStore.ConfigFile}: {reason}", e);
        }
    }

    /// <summary>
    /// The tokenizer of the checkpoint in <paramref name="directory"/> (its tokenizer.json, else bytes), checked against
    /// <paramref name="model"/>'s vocabulary.
    /// </summary>
    /// <exception cref="ConfigurationException">The tokenizer.json cannot be read, is of a kind PluginMoE does not run, or has ids the model lacks.</exception>
    public static ITokenizer LoadTokenizer(CliEnvironment env, string directory, TransformerLM model)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(model);
        string path = Path.GetFullPath(directory, env.WorkingDirectory);
        string file = Path.Combine(path, HfTokenizerJson.FileName);
        ITokenizer tokenizer;
        try { tokenizer = CheckpointTokenizer.Load(path); }
        catch (Exception e) when (e is InvalidDataException or System.Text.Json.JsonException or NotSupportedException or FormatException or ArgumentException)
        {
            throw new ConfigurationException(
                $"--checkpoint: cannot use the tokenizer of '{path}': {CommandAction.OneParagraph(e.Message).TrimEnd('.')}. A checkpoint's " +
                $"{HfTokenizerJson.FileName} must be the Hugging Face byte-level BPE tokenizer the model was trained with; without the file " +
                "the model reads bytes", e);
        }
        if (tokenizer.VocabSize > model.Config.VocabSize)
            throw new ConfigurationException(
                $"--checkpoint: '{file}' has {tokenizer.VocabSize} token ids, but the model ('{Path.Combine(path, CheckpointStore.ConfigFile)}' " +
                $"vocab_size) has {model.Config.VocabSize}; the tokenizer belongs to another model: use the tokenizer.json saved with this one");
        return tokenizer;
    }
}
