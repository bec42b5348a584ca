// Recipe stage "baselines": the dense seed continued on the mixture for as many steps as the experts and the
// finetuning took together (data-matched: Recipe:BranchSteps x domains + Recipe:FinetuneSteps). The average-merge
// baseline is built by upcycle and finetuned by finetune like the variants.
namespace PluginMoE.Core.Recipe.Stages;

/// <summary>Writes baselines/dense-continued/model.</summary>
public sealed class BaselinesStage : RecipeStage
{
    /// <summary>Name of the continued dense baseline.</summary>
    public const string DenseContinued = "dense-continued";

    /// <inheritdoc/>
    public override string Name => "baselines";

    /// <inheritdoc/>
    public override void Run(StageContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        string seed = Path.Combine(Input(context, "seed"), "dense");
        string dir = context.Run.Stage(Name);
        var data = LoadData(context, cancellationToken);
        long steps = context.Settings.Recipe.DenseBaselineSteps(data.Train.Domains.Count);
        Unit(Path.Combine(dir, DenseContinued), unit =>
        {
            var model = LoadModel(context, seed);
            Train(context, $"dense seed continued for {steps} steps (data-matched)", model, data.Train, steps, unit, cancellationToken, validation: data.Validation);
            SaveModel(unit, model, data);
        });
    }
}
