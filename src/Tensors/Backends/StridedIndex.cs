// Walks the rows (last dimension) of one or two strided views in row-major order. Every strided
// kernel (copy, broadcast binary ops) is built on this so that odd layouts cost one loop, not a copy.
namespace PluginMoE.Tensors.Backends;

/// <summary>Row iteration over strided layouts.</summary>
internal static class StridedIndex
{
    /// <summary>
    /// Calls <paramref name="row"/>(rowIndex, offsetA, offsetB) for each row of the shape <paramref name="sizes"/>
    /// (all dims but the last), where offsets advance by the given strides. Rank-0 shapes give one row.
    /// </summary>
    public static void ForEachRow(int[] sizes, int[] stridesA, int offsetA, int[] stridesB, int offsetB, Action<int, int, int> row)
    {
        int rank = sizes.Length;
        if (rank <= 1)
        {
            row(0, offsetA, offsetB);
            return;
        }
        int rows = 1;
        for (int d = 0; d < rank - 1; d++) rows *= sizes[d];
        if (rows == 0 || sizes[rank - 1] == 0) return;
        var idx = new int[rank - 1];
        int a = offsetA, b = offsetB;
        for (int r = 0; r < rows; r++)
        {
            row(r, a, b);
            for (int d = rank - 2; d >= 0; d--)
            {
                idx[d]++;
                a += stridesA[d];
                b += stridesB[d];
                if (idx[d] < sizes[d]) break;
                a -= stridesA[d] * sizes[d];
                b -= stridesB[d] * sizes[d];
                idx[d] = 0;
            }
        }
    }

    /// <summary>Offsets of row <paramref name="r"/> for up to three layouts (random access, for parallel loops).</summary>
    public static int RowOffset(int[] sizes, int[] strides, int offset, int r)
    {
        int o = offset;
        for (int d = sizes.Length - 2; d >= 0; d--)
        {
            int i = r % sizes[d];
            r /= sizes[d];
            o += i * strides[d];
        }
        return o;
    }

    /// <summary>Strides of <paramref name="t"/> viewed with shape <paramref name="target"/> (0 along broadcast dims).</summary>
    public static int[] BroadcastStrides(Tensor t, int[] target)
    {
        var st = new int[target.Length];
        int shift = target.Length - t.Sizes.Length;
        for (int i = 0; i < target.Length; i++)
        {
            int j = i - shift;
            st[i] = j < 0 || t.Sizes[j] == 1 ? 0 : t.Strides[j];
        }
        return st;
    }
}
