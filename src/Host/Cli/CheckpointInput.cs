// Loading the model of `--checkpoint DIR` for score and generate, with usage errors that name the folder.
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Model;
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
        catch (ArgumentException e)
        {
            // The plugins' options or the architecture are refused (lists of problems are one per line).
            string reason = CommandAction.OneParagraph(e.Message);
            throw new ConfigurationException($"--checkpoint: cannot build the model of '{path}' from its {CheckpointStore.ConfigFile}: {reason}", e);
        }
    }
}
