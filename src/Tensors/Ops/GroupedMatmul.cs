// Grouped matrix products (as MegaBlocks' grouped GEMM and PyTorch's torch._grouped_mm): the input's rows are sorted
// by group (expert) and group e's rows are multiplied by group e's weight matrix, y_e = x_e @ W_e, as one backend job.
// Backward is two more grouped GEMMs: dx_e = dy_e @ W_e^T and dW_e = x_e^T @ dy_e (on strided views, no copies).

namespace PluginMoE.Tensors;

public static partial class torch
{
    /// <summary>
    /// Grouped matrix product: <paramref name="input"/> (M, K) holds E groups of rows one after another, group e having
    /// <paramref name="counts"/>[e] rows (it starts at offset counts[0] + ... + counts[e-1]); the result (M, N) holds
    /// <c>input_e @ weights[e]</c> for every group, where <paramref name="weights"/> is (E, K, N). A group with no rows
    /// costs nothing; its slice of the weight gradient is zero. Gradients flow to both operands.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes, dtypes or counts do not fit (the message says which).</exception>
    public static Tensor grouped_mm(Tensor input, Tensor weights, IReadOnlyList<long> counts) => Tensor.GroupedMm(input, weights, counts);

    public static partial class nn
    {
        public static partial class functional
        {
            /// <summary>
            /// Grouped <see cref="linear"/> without bias: <paramref name="input"/> (M, in) holds one group of rows per weight,
            /// group e having <paramref name="counts"/>[e] rows (in order), and row r of group e becomes
            /// <c>input[r] @ weights[e]^T</c>, so the result is (M, out). <paramref name="weights"/> are E matrices
            /// (out, in) of one shape and dtype, e.g. the same projection of every expert of a MoE layer (a stack
            /// (E, out, in) that is never copied). One grouped GEMM forward, two backward. A weight whose group has no
            /// rows gets no gradient (as if it had not been used).
            /// </summary>
            /// <exception cref="ArgumentException">The shapes, dtypes or counts do not fit (the message says which).</exception>
            public static Tensor grouped_linear(Tensor input, IReadOnlyList<Tensor> weights, IReadOnlyList<long> counts) =>
                Tensor.GroupedLinear(input, weights, counts);
        }
    }
}

public partial class Tensor
{
    /// <summary>Row offsets of the groups, after checking the counts against the rows of <paramref name="input"/>.</summary>
    private static int[] GroupStarts(string op, Tensor input, IReadOnlyList<long> counts, int groups)
    {
        if (counts.Count != groups)
            throw new ArgumentException($"{op}: {counts.Count} group counts given for {groups} weight matrices; give one count per group");
        var starts = new int[groups + 1];
        long total = 0;
        for (int e = 0; e < groups; e++)
        {
            if (counts[e] < 0) throw new ArgumentException($"{op}: group {e} has a negative row count ({counts[e]})");
            total += counts[e];
            starts[e + 1] = (int)Math.Min(total, int.MaxValue);
        }
        if (total != input.Sizes[0])
            throw new ArgumentException($"{op}: the group counts sum to {total} but the input has {input.Sizes[0]} rows (shape {Shape.Format(input.Sizes)}); the counts must cover every row once");
        return starts;
    }

    /// <summary>Rows [start, start + count) of a 2-D tensor as a view (no autograd).</summary>
    private static Tensor RowSlice(Tensor t, int start, int count) =>
        new(t.Storage, [count, t.Sizes[1]], [t.Strides[0], t.Strides[1]], t.Offset + start * t.Strides[0], t.dtype);

    private static void CheckGroupedInput(string op, Tensor input, Tensor firstWeight)
    {
        if (input.dim() != 2)
            throw new ArgumentException($"{op}: input must be 2-D (rows sorted by group, features), got shape {Shape.Format(input.Sizes)}");
        CheckFloatOperands(op, input, firstWeight);
    }

    /// <summary>y_e = x_e @ B_e for the groups with rows; <paramref name="b"/> are (K, N) views.</summary>
    private static Tensor GroupedForwardRaw(Tensor x, Tensor[] b, int[] starts, int n)
    {
        var y = Empty(x.dtype, [x.Sizes[0], n], x.device);
        var (la, lb, lc) = (new List<Tensor>(), new List<Tensor>(), new List<Tensor>());
        for (int e = 0; e < b.Length; e++)
        {
            int cnt = starts[e + 1] - starts[e];
            if (cnt == 0) continue;
            la.Add(RowSlice(x, starts[e], cnt));
            lb.Add(b[e]);
            lc.Add(RowSlice(y, starts[e], cnt));
        }
        x.backend.GemmGroup(la, lb, lc);
        return y;
    }

    /// <summary>dx_e = dy_e @ B_e^T.</summary>
    private static Tensor GroupedGradInput(Tensor g, Tensor[] b, int[] starts, int k)
    {
        var dx = Empty(g.dtype, [g.Sizes[0], k], g.device);
        var (la, lb, lc) = (new List<Tensor>(), new List<Tensor>(), new List<Tensor>());
        for (int e = 0; e < b.Length; e++)
        {
            int cnt = starts[e + 1] - starts[e];
            if (cnt == 0) continue;
            la.Add(RowSlice(g, starts[e], cnt));
            lb.Add(TransposedView(b[e]));
            lc.Add(RowSlice(dx, starts[e], cnt));
        }
        g.backend.GemmGroup(la, lb, lc);
        return dx;
    }

    /// <summary>The (K, N) views of a stacked (E, K, N) weight.</summary>
    private static Tensor[] StackViews(Tensor w)
    {
        var views = new Tensor[w.Sizes[0]];
        for (int e = 0; e < views.Length; e++)
            views[e] = new Tensor(w.Storage, [w.Sizes[1], w.Sizes[2]], [w.Strides[1], w.Strides[2]], w.Offset + e * w.Strides[0], w.dtype);
        return views;
    }

    /// <summary>torch.grouped_mm: (M, K) rows by group, (E, K, N) weights.</summary>
    internal static Tensor GroupedMm(Tensor input, Tensor weights, IReadOnlyList<long> counts)
    {
        const string op = "grouped_mm";
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(counts);
        CheckGroupedInput(op, input, weights);
        if (weights.dim() != 3)
            throw new ArgumentException($"{op}: weights must be 3-D (groups, K, N), got shape {Shape.Format(weights.Sizes)}");
        if (weights.Sizes[1] != input.Sizes[1])
            throw new ArgumentException($"{op}: input of shape {Shape.Format(input.Sizes)} has K = {input.Sizes[1]} but weights of shape {Shape.Format(weights.Sizes)} have K = {weights.Sizes[1]}");
        int groups = weights.Sizes[0], k = weights.Sizes[1], n = weights.Sizes[2];
        var starts = GroupStarts(op, input, counts, groups);
        var b = StackViews(weights);
        var y = GroupedForwardRaw(input, b, starts, n);
        return Record(y, "GroupedMmBackward", [input, weights], g =>
        {
            Tensor? dx = input.requires_grad ? GroupedGradInput(g, b, starts, k) : null;
            Tensor? dw = null;
            if (weights.requires_grad)
            {
                dw = Empty(g.dtype, [groups, k, n], g.device);
                var dws = StackViews(dw);
                var (la, lb, lc) = (new List<Tensor>(), new List<Tensor>(), new List<Tensor>());
                for (int e = 0; e < groups; e++)
                {
                    int cnt = starts[e + 1] - starts[e];
                    if (cnt == 0)
                    {
                        g.backend.Fill(dws[e], 0);
                        continue;
                    }
                    la.Add(TransposedView(RowSlice(input, starts[e], cnt))); // (K, cnt)
                    lb.Add(RowSlice(g, starts[e], cnt));                    // (cnt, N)
                    lc.Add(dws[e]);
                }
                g.backend.GemmGroup(la, lb, lc);
            }
            return [dx, dw];
        });
    }

    /// <summary>nn.functional.grouped_linear: (M, in) rows by group, E weights (out, in).</summary>
    internal static Tensor GroupedLinear(Tensor input, IReadOnlyList<Tensor> weights, IReadOnlyList<long> counts)
    {
        const string op = "grouped_linear";
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(counts);
        if (weights.Count == 0) throw new ArgumentException($"{op}: no weight matrices given; give one (out, in) weight per group");
        var w0 = weights[0] ?? throw new ArgumentNullException(nameof(weights), $"{op}: weight 0 is null");
        CheckGroupedInput(op, input, w0);
        if (w0.dim() != 2)
            throw new ArgumentException($"{op}: weight 0 must be 2-D (out_features, in_features), got shape {Shape.Format(w0.Sizes)}");
        for (int e = 1; e < weights.Count; e++)
        {
            var we = weights[e] ?? throw new ArgumentNullException(nameof(weights), $"{op}: weight {e} is null");
            if (!Shape.Equal(we.Sizes, w0.Sizes) || we.dtype != w0.dtype || we.device != w0.device)
                throw new ArgumentException(
                    $"{op}: weight {e} is {we.dtype.TorchName()} {Shape.Format(we.Sizes)} on {we.device}, weight 0 {w0.dtype.TorchName()} {Shape.Format(w0.Sizes)} on {w0.device}; all groups need weights of one shape, dtype and device");
        }
        int outF = w0.Sizes[0], inF = w0.Sizes[1];
        if (input.Sizes[1] != inF)
            throw new ArgumentException($"{op}: input of shape {Shape.Format(input.Sizes)} has {input.Sizes[1]} features but the weights {Shape.Format(w0.Sizes)} expect {inF} (in_features)");
        int groups = weights.Count;
        var starts = GroupStarts(op, input, counts, groups);
        var b = new Tensor[groups];
        for (int e = 0; e < groups; e++) b[e] = TransposedView(weights[e]); // (in, out)
        var y = GroupedForwardRaw(input, b, starts, outF);

        var inputs = new Tensor[groups + 1];
        inputs[0] = input;
        for (int e = 0; e < groups; e++) inputs[e + 1] = weights[e];
        return Record(y, "GroupedLinearBackward", inputs, g =>
        {
            var grads = new Tensor?[groups + 1];
            if (input.requires_grad) grads[0] = GroupedGradInput(g, b, starts, inF);
            var (la, lb, lc) = (new List<Tensor>(), new List<Tensor>(), new List<Tensor>());
            for (int e = 0; e < groups; e++)
            {
                int cnt = starts[e + 1] - starts[e];
                if (cnt == 0 || !weights[e].requires_grad) continue; // an unused weight gets no gradient
                var dw = Empty(g.dtype, [outF, inF], g.device);
                la.Add(TransposedView(RowSlice(g, starts[e], cnt)));  // (out, cnt)
                lb.Add(RowSlice(input, starts[e], cnt));              // (cnt, in)
                lc.Add(dw);
                grads[e + 1] = dw;
            }
            if (lc.Count > 0) g.backend.GemmGroup(la, lb, lc);
            return grads;
        });
    }
}
