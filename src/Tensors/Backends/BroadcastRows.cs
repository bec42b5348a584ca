// Operands broadcast to one contiguous output, walked as rows of the innermost dimension. Adjacent dims laid
// out contiguously for every operand are merged first, so rows are as long as the layouts allow; rows are split
// over threads by ParallelFor (deterministic). Shared by the element-wise, comparison and where kernels.
namespace PluginMoE.Tensors.Backends;

/// <summary>Row iteration over operands broadcast to a contiguous output of shape <c>outSizes</c>.</summary>
internal sealed class BroadcastRows
{
    private readonly int[] _sizes;
    private readonly int[][] _strides;
    private readonly int[] _offsets;
    private readonly int _grain;

    public BroadcastRows(int grain, int[] outSizes, params Tensor[] operands)
    {
        _grain = grain;
        _offsets = operands.Select(t => t.Offset).ToArray();
        if (outSizes.Length == 0)
        {
            _sizes = [1];
            _strides = operands.Select(_ => new[] { 0 }).ToArray();
        }
        else
        {
            var strides = operands.Select(t => StridedIndex.BroadcastStrides(t, outSizes)).ToArray();
            // Merge dim i into the previous one when, for every operand, stepping the previous dim equals
            // stepping dim i across its whole size (the contiguous output always satisfies this).
            var sizes = new List<int> { outSizes[0] };
            var merged = strides.Select(st => new List<int> { st[0] }).ToArray();
            for (int i = 1; i < outSizes.Length; i++)
            {
                int last = sizes.Count - 1;
                bool merge = true;
                for (int k = 0; k < strides.Length; k++) merge &= merged[k][last] == strides[k][i] * outSizes[i];
                if (merge)
                {
                    sizes[last] *= outSizes[i];
                    for (int k = 0; k < strides.Length; k++) merged[k][last] = strides[k][i];
                }
                else
                {
                    sizes.Add(outSizes[i]);
                    for (int k = 0; k < strides.Length; k++) merged[k].Add(strides[k][i]);
                }
            }
            _sizes = [.. sizes];
            _strides = merged.Select(m => m.ToArray()).ToArray();
        }
        Inner = _sizes[^1];
        Rows = Inner == 0 ? 0 : Shape.Numel(outSizes) / Inner;
    }

    /// <summary>Length of one row (the merged innermost dim).</summary>
    public int Inner { get; }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Storage offset of row <paramref name="row"/> of operand <paramref name="operand"/>.</summary>
    public int RowOffset(int operand, int row) => StridedIndex.RowOffset(_sizes, _strides[operand], _offsets[operand], row);

    /// <summary>Stride of operand <paramref name="operand"/> along a row (0 when broadcast).</summary>
    public int InnerStride(int operand) => _strides[operand][^1];

    /// <summary>Runs <paramref name="rows"/>(first, end) over all rows in deterministic chunks.</summary>
    public void Run(Action<int, int> rows) => ParallelFor.Run(Rows, Math.Max(1, _grain / Math.Max(Inner, 1)), rows);
}
