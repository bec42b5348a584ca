// Recipe stage "branch": one dense expert per domain, each a copy of the seed trained on its own domain for
// Recipe:BranchSteps (BTX's branch step). Experts are independent units: a rerun trains only the missing ones.
namespace PluginMoE.Host.Stages;

/// <summary>Trains branch/&lt;domain&gt;/model for every domain.</summary>
public sealed class BranchStage : RecipeStage
{
    /// <inheritdoc/>
    public override string Name => "branch";

    /// <inheritdoc/>
    public override void Run(StageContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        string seed = Path.Combine(Input(context, "seed"), "dense");
        string dir = context.Run.Stage(Name);
        var data = LoadData(context, cancellationToken);
        foreach (var domain in data.Train.Domains)
        {
            cancellationToken.ThrowIfCancellationRequested();
            bool ran = Unit(Path.Combine(dir, domain), unit =>
            {
                var model = LoadModel(context, seed);
                Train(context, $"expert '{domain}'", model, OneDomain(data.Train, domain), context.Settings.Recipe.BranchSteps, unit, cancellationToken);
                SaveModel(unit, model, data);
            });
            if (!ran) context.Progress.Info($"branch: expert '{domain}' already trained");
        }
    }
}
