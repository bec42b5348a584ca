// Closed-form test inputs shared with FusedReference.py (the PyTorch script that produced the golden values).
namespace PluginMoE.Tensors.Tests.Ops;

internal static class FusedInputs
{
    /// <summary><c>amp * sin(a * i + b)</c> over the row-major index i, as <c>seq</c> in FusedReference.py.</summary>
    public static Tensor Seq(long[] shape, double a, double b, double amp = 1.0, ScalarType dtype = ScalarType.Float64)
    {
        long n = 1;
        foreach (var s in shape) n *= s;
        var d = new double[n];
        for (long i = 0; i < n; i++) d[i] = amp * Math.Sin(a * i + b);
        return torch.tensor(d, shape).to(dtype);
    }

    /// <summary>Asserts element-wise closeness and reports the first mismatch.</summary>
    public static void AssertClose(double[] expected, Tensor actual, double tol)
    {
        var got = actual.to(ScalarType.Float64).data<double>();
        Assert.Equal(expected.Length, got.Length);
        for (int i = 0; i < got.Length; i++)
            Assert.True(Math.Abs(expected[i] - got[i]) <= tol * (1 + Math.Abs(expected[i])), $"element {i}: expected {expected[i]:G10}, got {got[i]:G10}");
    }

    /// <summary>Asserts two tensors are element-wise close.</summary>
    public static void AssertClose(Tensor expected, Tensor actual, double tol)
    {
        Assert.Equal(expected.shape, actual.shape);
        AssertClose(expected.to(ScalarType.Float64).data<double>(), actual, tol);
    }
}
