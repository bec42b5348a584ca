// Trainer state saved beside a model checkpoint so that training resumes exactly: optimizer moments
// (optimizer.safetensors) and trainer_state.json (step, schedule, sampler generator and position, routing generator,
// optimizer groups).
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Data;
using PluginMoE.Tensors.Serialization;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Training;

/// <summary>Saves and restores a <see cref="Trainer"/> together with its model checkpoint.</summary>
public static class TrainerState
{
    /// <summary>Optimizer state tensors (<c>state.{index}.{name}</c>).</summary>
    public const string OptimizerFile = "optimizer.safetensors";

    /// <summary>Everything else, as JSON; written last, it records the optimizer file's SHA-256.</summary>
    public const string StateFile = "trainer_state.json";

    private const string Format = "pluginmoe.trainer_state.v2";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>
    /// Writes the model checkpoint (<see cref="CheckpointStore.Save"/>) and then the trainer state into
    /// <paramref name="directory"/>. Each file is written atomically (temporary file + rename).
    /// </summary>
    public static void Save(string directory, Trainer trainer)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(trainer);
        CheckpointStore.Save(directory, trainer.Model.ToCheckpoint());
        var optimizerState = trainer.Optimizer.state_dict();
        string optimizerPath = Path.Combine(directory, OptimizerFile);
        SafeTensors.Save(optimizerPath, optimizerState.tensors);
        var record = new StateRecord(Format, trainer.Step, trainer.Options.Steps, trainer.LastFiniteLoss,
            trainer.Scheduler.last_epoch, [.. trainer.Scheduler.base_lrs], trainer.Sampler.State, optimizerState.metadata,
            Sha256(optimizerPath), trainer.TrainedParameters, trainer.RoutingGenerator.get_state());
        string path = Path.Combine(directory, StateFile);
        string temp = path + $".{Guid.NewGuid():N}.tmp";
        using (var fs = new FileStream(temp, FileMode.CreateNew))
        {
            JsonSerializer.Serialize(fs, record, Json);
            fs.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>True when <paramref name="directory"/> holds a trainer state.</summary>
    public static bool Exists(string directory) => File.Exists(Path.Combine(directory, StateFile));

    /// <summary>
    /// Restores the trainer state in <paramref name="directory"/> into <paramref name="trainer"/>, whose model must
    /// have been loaded from the same folder and whose options select the same trained parameters.
    /// </summary>
    /// <exception cref="InvalidDataException">A file is missing, corrupt or does not belong to this trainer; the message says which and why.</exception>
    public static void Load(string directory, Trainer trainer)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(trainer);
        string path = Path.Combine(directory, StateFile);
        string optimizerPath = Path.Combine(directory, OptimizerFile);
        if (!File.Exists(path))
            throw new InvalidDataException($"no trainer state in '{directory}': {StateFile} is missing (the folder holds a model checkpoint without training state, or none)");
        StateRecord record;
        try
        {
            using var fs = File.OpenRead(path);
            record = JsonSerializer.Deserialize<StateRecord>(fs, Json) ?? throw new JsonException("the file holds null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not a valid trainer state: {e.Message}", e);
        }
        if (record.Format != Format)
            throw new InvalidDataException($"'{path}' has format '{record.Format}', expected '{Format}'" +
                (record.Format == "pluginmoe.trainer_state.v1" ? " (v1 states lack the routing generator; restart the stage, or resume it with the PluginMoE version that wrote it)" : ""));
        if (record.RoutingGenerator is not { Length: 2 })
            throw new InvalidDataException($"'{path}' has no valid routing_generator (two integers: seed and offset)");
        if (!File.Exists(optimizerPath))
            throw new InvalidDataException($"'{optimizerPath}' is missing; it is written together with {StateFile}");
        if (Sha256(optimizerPath) != record.OptimizerSha256)
            throw new InvalidDataException($"'{optimizerPath}' does not match the SHA-256 recorded in {StateFile} (a partial or mixed save); resume from another checkpoint");
        if (!record.TrainedParameters.SequenceEqual(trainer.TrainedParameters))
        {
            var saved = record.TrainedParameters.ToHashSet();
            var now = trainer.TrainedParameters.ToHashSet();
            throw new InvalidDataException(
                $"'{path}' was saved while training other parameters: only in the state [{string.Join(", ", saved.Except(now).Take(5))}], " +
                $"only in this trainer [{string.Join(", ", now.Except(saved).Take(5))}]; use the same TrainableParameters/FrozenParameters as the saved run");
        }
        var tensors = SafeTensors.Load(optimizerPath);
        trainer.Optimizer.load_state_dict(new optim.OptimizerStateDict(tensors, record.Optimizer));
        trainer.Scheduler.load_state_dict(new optim.lr_scheduler.SchedulerState(record.SchedulerLastEpoch, record.SchedulerBaseLrs));
        trainer.Sampler.Restore(record.Sampler);
        trainer.RoutingGenerator.set_state(record.RoutingGenerator);
        trainer.RestoreStep(record.Step);
        trainer.LastFiniteLoss = record.LastFiniteLoss;
    }

    private static string Sha256(string file)
    {
        using var fs = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(fs));
    }

    private sealed record StateRecord(string Format, long Step, long MaxSteps, double? LastFiniteLoss, long SchedulerLastEpoch,
        double[] SchedulerBaseLrs, SamplerState Sampler, optim.OptimizerMetadata Optimizer, string OptimizerSha256, IReadOnlyList<string> TrainedParameters,
        long[] RoutingGenerator);
}
