// Shape arithmetic shared by every op: element counts, row-major strides, broadcasting, dim wrapping.
namespace PluginMoE.Tensors;

/// <summary>Helpers for shapes (sizes) and strides.</summary>
internal static class Shape
{
    public static int Numel(ReadOnlySpan<int> sizes)
    {
        long n = 1;
        foreach (var s in sizes) n *= s;
        if (n > int.MaxValue) throw new ArgumentException($"tensor of shape {Format(sizes)} has {n} elements; at most {int.MaxValue} are supported");
        return (int)n;
    }

    public static int[] ContiguousStrides(ReadOnlySpan<int> sizes)
    {
        var st = new int[sizes.Length];
        int acc = 1;
        for (int i = sizes.Length - 1; i >= 0; i--)
        {
            st[i] = acc;
            acc *= Math.Max(sizes[i], 1);
        }
        return st;
    }

    public static int[] FromLong(ReadOnlySpan<long> shape)
    {
        var r = new int[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0 || shape[i] > int.MaxValue)
                throw new ArgumentException($"invalid size {shape[i]} at dim {i} of shape [{string.Join(", ", shape.ToArray())}]");
            r[i] = (int)shape[i];
        }
        return r;
    }

    public static long[] ToLong(ReadOnlySpan<int> sizes)
    {
        var r = new long[sizes.Length];
        for (int i = 0; i < sizes.Length; i++) r[i] = sizes[i];
        return r;
    }

    /// <summary>Wraps a possibly negative dim into [0, rank).</summary>
    public static int WrapDim(long dim, int rank, string op)
    {
        int r = Math.Max(rank, 1);
        if (dim < -r || dim >= r)
            throw new ArgumentOutOfRangeException(nameof(dim), $"{op}: dimension {dim} is out of range for a tensor of rank {rank} (expected [{-r}, {r - 1}])");
        return (int)(dim < 0 ? dim + r : dim);
    }

    /// <summary>The broadcast shape of two shapes (NumPy rules), or an error naming both.</summary>
    public static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b, string op)
    {
        int n = Math.Max(a.Length, b.Length);
        var r = new int[n];
        for (int i = 0; i < n; i++)
        {
            int da = i < n - a.Length ? 1 : a[i - (n - a.Length)];
            int db = i < n - b.Length ? 1 : b[i - (n - b.Length)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"{op}: shapes {Format(a)} and {Format(b)} cannot be broadcast together (dim {i}: {da} vs {db})");
            r[i] = da == 1 ? db : da;
        }
        return r;
    }

    public static bool Equal(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);

    public static string Format(ReadOnlySpan<int> sizes) => "[" + string.Join(", ", sizes.ToArray()) + "]";
}
