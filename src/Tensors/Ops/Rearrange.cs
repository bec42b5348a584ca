// Masks and rearrangements that keep the shape: tril/triu (causal masks) and flip, with backward rules.
namespace PluginMoE.Tensors;

public partial class Tensor
{
    /// <summary>
    /// Lower triangle of each trailing matrix: elements with column - row &gt; <paramref name="diagonal"/> become zero.
    /// Needs rank &gt;= 2.
    /// </summary>
    /// <param name="diagonal">0: main diagonal; positive: above it; negative: below it.</param>
    public Tensor tril(long diagonal = 0) => Triangle("tril", diagonal, upper: false);

    /// <summary>
    /// Upper triangle of each trailing matrix: elements with column - row &lt; <paramref name="diagonal"/> become zero.
    /// Needs rank &gt;= 2.
    /// </summary>
    /// <param name="diagonal">0: main diagonal; positive: above it; negative: below it.</param>
    public Tensor triu(long diagonal = 0) => Triangle("triu", diagonal, upper: true);

    private Tensor Triangle(string op, long diagonal, bool upper)
    {
        if (Sizes.Length < 2) throw new ArgumentException($"{op}: input must have at least 2 dimensions, got shape {Shape.Format(Sizes)}");
        var r = backend.Triangle(this, diagonal, upper);
        return Record(r, upper ? "TriuBackward" : "TrilBackward", [this], g => [g.Triangle(op, diagonal, upper)], saved: []);
    }

    /// <summary>Reverses the order of elements along each of <paramref name="dims"/> (a copy).</summary>
    public Tensor flip(params long[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        var d = dims.Length == 0 ? [] : NormalizeDims(dims, "flip");
        if (d.Length == 0) return clone();
        var r = backend.Flip(this, d);
        return Record(r, "FlipBackward", [this], g => [g.flip(dims)], saved: []);
    }
}

public static partial class torch
{
    /// <summary>Lower triangle of each trailing matrix (see <see cref="Tensor.tril"/>).</summary>
    public static Tensor tril(Tensor input, long diagonal = 0) => input.tril(diagonal);

    /// <summary>Upper triangle of each trailing matrix (see <see cref="Tensor.triu"/>).</summary>
    public static Tensor triu(Tensor input, long diagonal = 0) => input.triu(diagonal);

    /// <summary>Reverses the order of elements along <paramref name="dims"/> (see <see cref="Tensor.flip"/>).</summary>
    public static Tensor flip(Tensor input, params long[] dims) => input.flip(dims);
}
