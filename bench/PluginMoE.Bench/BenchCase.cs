// One benchmark case: what it measures, how much work one run does, and how to set it up.
namespace PluginMoE.Bench;

/// <summary>
/// A benchmark case. <see cref="Setup"/> allocates inputs once and returns the action that is timed.
/// <see cref="Work"/> is the work of one run in <see cref="Unit"/>s: floating-point operations for
/// <c>gflops</c> cases (2*M*N*K for a GEMM), elements for <c>elems</c> cases (reported per second).
/// <see cref="Tags"/> are extra JSON fields that tell variants apart (dtype, layout); the reference
/// script matches cases on op, shape and tags.
/// </summary>
internal sealed record BenchCase(string Op, long[] Shape, string Unit, double Work, Func<Action> Setup, IReadOnlyDictionary<string, string> Tags)
{
    /// <summary>The case's identity as JSON fields: <c>"op":..,"shape":[..],tags..</c>.</summary>
    public string Key => Json.Key(Op, Shape, Tags);
}
