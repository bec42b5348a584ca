// Recipe stage "seed": the dense seed model, trained on the mixture of every domain for Recipe:SeedSteps, or
// loaded from Recipe:SeedCheckpoint (PluginMoE or Hugging Face Llama layout).
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Model;
using PluginMoE.Tensors;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Recipe.Settings;
using PluginMoE.Core.Recipe.Services;

namespace PluginMoE.Core.Recipe.Stages;

/// <summary>Trains or loads the dense seed into seed/model.</summary>
public sealed class SeedStage : RecipeStage
{
    /// <inheritdoc/>
    public override string Name => "seed";

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, object?> Validate(ProfileSettings settings, IPluginProvider plugins, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(errors);
        if (settings.Recipe.SeedCheckpoint is { } path && !Directory.Exists(Path.GetFullPath(path, settings.BaseDirectory)))
            errors.Add($"Recipe:SeedCheckpoint: folder '{path}' does not exist; give a checkpoint folder (config.json + model.safetensors) or leave it out to train the seed");
        return base.Validate(settings, plugins, errors);
    }

    /// <inheritdoc/>
    public override void Run(StageContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Settings;
        string dir = context.Run.Stage(Name);
        var data = LoadData(context, cancellationToken);
        Unit(Path.Combine(dir, "dense"), unit =>
        {
            TransformerLM model;
            if (settings.Recipe.SeedCheckpoint is { } path)
            {
                string full = Path.GetFullPath(path, settings.BaseDirectory);
                model = TransformerLM.FromCheckpoint(CheckpointStore.Load(full), context.Plugins.Catalog);
                if (model.Config.Moe is not null)
                    throw new ConfigurationException($"Recipe:SeedCheckpoint: '{full}' is an MoE; the seed must be a dense model");
                context.Progress.Info($"seed: loaded from {full}");
                new Core.Recipe.LossCurve().Save(unit);
            }
            else
            {
                var plan = PluginSelection.Resolve(settings, context.Plugins).Plan.Dense();
                model = new TransformerLM(plan, context.Plugins.Catalog, new Generator(settings.Run.Seed));
                Train(context, "dense seed on the mixture", model, data.Train, settings.Recipe.SeedSteps, unit, cancellationToken);
            }
            SaveModel(unit, model, data);
        });
    }
}
