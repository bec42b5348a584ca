// A router plugin whose options class throws (a setter refusing a value, a validation that crashes) and whose Create
// throws for some options: the host must report each as a configuration error naming the plugin and the key.
using System.ComponentModel.DataAnnotations;
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Routing;

namespace PluginMoE.TestPlugins;

[ExportRouter("fragile", Description = "Options that throw")]
public sealed class FragileRouterFactory : IRouterFactory
{
    public Type? OptionsType => typeof(FragileRouterOptions);

    public RouterModule Create(RouterSpec spec) =>
        throw new InvalidOperationException($"the fragile router cannot be built with Scale {spec.OptionsAs<FragileRouterOptions>().Scale}");
}

public sealed class FragileRouterOptions : IValidatableObject
{
    private double _scale = 1;

    public double Scale
    {
        get => _scale;
        set => _scale = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Scale must be positive");
    }

    public bool CrashInValidate { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (CrashInValidate) throw new NullReferenceException("the fragile options' validation crashed");
        yield break;
    }
}
