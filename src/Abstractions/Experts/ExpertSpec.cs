// What an expert factory is given: widths, the plugin's bound options, the init generator and the dtype.
using PluginMoE.Tensors;

namespace PluginMoE.Abstractions.Experts;

/// <summary>What an expert factory is given.</summary>
/// <param name="ModelDim">Input and output width (d, or d/h for the experts of a token-splitting router).</param>
/// <param name="HiddenDim">Inner width before any of the plugin's own width options: <c>intermediate_size</c> for dense
/// FFNs, <c>moe_intermediate_size</c> (<see cref="Checkpoints.MoeConfig.ExpertIntermediateSize"/>) for routed experts,
/// the shared expert's own size for the shared expert.</param>
public sealed record ExpertSpec(int ModelDim, int HiddenDim)
{
    /// <summary>The plugin's options (its factory's <c>OptionsType</c>), or null.</summary>
    public object? Options { get; init; }

    /// <summary>Random source for parameter initialisation.</summary>
    public Generator Generator { get; init; } = new(0);

    /// <summary>Parameter element type.</summary>
    public ScalarType DType { get; init; } = ScalarType.Float32;

    /// <summary>The options cast to the plugin's type, or a new default instance when none were given.</summary>
    /// <exception cref="ArgumentException">The options are of another type.</exception>
    public T OptionsAs<T>() where T : class, new() => Options switch
    {
        null => new T(),
        T t => t,
        var o => throw new ArgumentException($"expert options are {o.GetType().Name}, expected {typeof(T).Name}"),
    };
}
