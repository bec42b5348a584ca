// Loading the model of `--checkpoint DIR` for score and generate, with usage errors that name the folder.
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Model;
using PluginMoE.Host.Configuration;

namespace PluginMoE.Host.Cli;

/// <summary>Opens checkpoints given on the command line.</summary>
public static class CheckpointInput
{
    /// <summary>The model in <paramref name="directory"/>, built with the plugins of the default settings.</summary>
    /// <exception cref="ConfigurationException">The folder or its files are missing or unreadable.</exception>
    public static TransformerLM Load(CliEnvironment env, string directory)
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
        }));
        var plugins = env.Plugins(RunCommand.PluginDirectories(env, settings));
        try
        {
            return TransformerLM.FromCheckpoint(CheckpointStore.Load(path), plugins.Catalog);
        }
        catch (Exception e) when (e is InvalidDataException or CheckpointFormatException or KeyNotFoundException or FileNotFoundException)
        {
            throw new ConfigurationException($"--checkpoint: cannot load '{path}': {e.Message}", e);
        }
    }
}
