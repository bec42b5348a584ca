// Kernel family: layout and type changes (copy, contiguous, convert, fill).
namespace PluginMoE.Tensors.Backends;

public partial interface IBackend
{
    /// <summary>A contiguous copy of <paramref name="src"/> (any layout).</summary>
    Tensor Contiguous(Tensor src);

    /// <summary>Copies <paramref name="src"/>, broadcast to <paramref name="dst"/>'s shape, into <paramref name="dst"/> (any layouts).</summary>
    void CopyInto(Tensor dst, Tensor src);

    /// <summary>A contiguous copy of <paramref name="src"/> converted to <paramref name="dtype"/>.</summary>
    Tensor Convert(Tensor src, ScalarType dtype);

    /// <summary>Sets every element of <paramref name="dst"/> to <paramref name="value"/>.</summary>
    void Fill(Tensor dst, double value);
}
