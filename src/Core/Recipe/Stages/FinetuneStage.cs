// Recipe stage "finetune": every model the upcycle stage built (each variant, and the average baseline) trained on the
// mixture of all domains for the same Recipe:FinetuneSteps (compute-matched, as BTX and Nexus compare them), or for a
// variant's own Recipe:Variants:<v>:FinetuneSteps; for a From=scratch variant this is its whole training, from its
// fresh initialisation.
namespace PluginMoE.Core.Recipe.Stages;

/// <summary>Writes finetune/&lt;model&gt;/model with its loss curve for every upcycled model.</summary>
public sealed class FinetuneStage : RecipeStage
{
    /// <inheritdoc/>
    public override string Name => "finetune";

    /// <inheritdoc/>
    public override void Run(StageContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        string upcycled = Input(context, "upcycle");
        string dir = context.Run.Stage(Name);
        var data = LoadData(context, cancellationToken);
        foreach (var source in Directory.GetDirectories(upcycled).Where(d => !d.EndsWith(".partial", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(source);
            cancellationToken.ThrowIfCancellationRequested();
            Unit(Path.Combine(dir, name), unit =>
            {
                var model = LoadModel(context, source);
                // A variant trains with its own Training section over the stage's; the average baseline with the stage's.
                string? variant = context.Settings.Recipe.Variants.ContainsKey(name) ? name : null;
                Train(context, $"'{name}' on the mixture", model, data.Train, context.Settings.Recipe.FinetuneStepsOf(variant), unit, cancellationToken, validation: data.Validation, variant: variant);
                SaveModel(unit, model, data);
            });
        }
    }
}
