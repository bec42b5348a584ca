// The grouped SwiGLU expert MLP of a MoE layer as one op (Shazeer 2020 SwiGLU experts, grouped as in MegaBlocks):
// y_e = (silu(x_e Wg_e^T) * (x_e Wu_e^T)) Wd_e^T for expert-sorted row groups x_e. Only the input and the weights are
// saved for backward, which recomputes the hidden activations (IBackend.GroupedSwiGluFfnBackward).
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        public static partial class functional
        {
            /// <summary>
            /// The SwiGLU MLPs of E experts on their rows: <paramref name="input"/> (M, d) holds one group of rows per
            /// expert, group e having <paramref name="counts"/>[e] rows (in order), and row r of group e becomes
            /// <c>(silu(x_r @ gate[e]^T) * (x_r @ up[e]^T)) @ down[e]^T</c>, with <paramref name="gate"/>[e] and
            /// <paramref name="up"/>[e] (H, d) and <paramref name="down"/>[e] (d, H), all of one dtype and device. The same
            /// values as <c>grouped_linear(swiglu(grouped_linear(x, gate), grouped_linear(x, up)), down)</c> up to
            /// rounding, but the (M, H) hidden activations are neither kept in memory nor saved for backward: the CPU
            /// backend computes each block of rows in cache and recomputes it in backward (about 20% more multiply-adds,
            /// far less memory traffic when H is large against d, as for MH-MoE's sub-token experts). A weight whose
            /// expert has no rows gets no gradient.
            /// </summary>
            /// <exception cref="ArgumentException">The shapes, dtypes, devices or counts do not fit (the message says which).</exception>
            public static Tensor grouped_swiglu_ffn(Tensor input, IReadOnlyList<Tensor> gate, IReadOnlyList<Tensor> up, IReadOnlyList<Tensor> down, IReadOnlyList<long> counts) =>
                Tensor.GroupedSwiGluFfn(input, gate, up, down, counts);
        }
    }
}

public partial class Tensor
{
    internal static Tensor GroupedSwiGluFfn(Tensor input, IReadOnlyList<Tensor> gate, IReadOnlyList<Tensor> up, IReadOnlyList<Tensor> down, IReadOnlyList<long> counts)
    {
        const string op = "grouped_swiglu_ffn";
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(up);
        ArgumentNullException.ThrowIfNull(down);
        ArgumentNullException.ThrowIfNull(counts);
        int experts = gate.Count;
        if (experts == 0 || up.Count != experts || down.Count != experts)
            throw new ArgumentException($"{op}: got {gate.Count} gate, {up.Count} up and {down.Count} down weights; give one of each per expert (at least one expert)");
        if (input.dim() != 2)
            throw new ArgumentException($"{op}: input must be 2-D (rows sorted by expert, features), got shape {Shape.Format(input.Sizes)}");
        if (input.dtype is not (ScalarType.Float32 or ScalarType.Float64))
            throw new NotSupportedException($"{op}: {input.dtype.TorchName()} tensors are not supported; use float32 or float64");
        int d = input.Sizes[1];
        int h = (gate[0] ?? throw new ArgumentNullException(nameof(gate), $"{op}: gate weight 0 is null")).dim() == 2 ? gate[0].Sizes[0] : -1;
        for (int e = 0; e < experts; e++)
        {
            Check("gate", gate[e], e, h, d);
            Check("up", up[e], e, h, d);
            Check("down", down[e], e, d, h);
        }
        var starts = GroupStarts(op, input, counts, experts);
        var be = input.backend;
        var y = be.GroupedSwiGluFfn(input, gate, up, down, starts);

        var inputs = new Tensor[1 + 3 * experts];
        inputs[0] = input;
        for (int e = 0; e < experts; e++)
        {
            inputs[1 + e] = gate[e];
            inputs[1 + experts + e] = up[e];
            inputs[1 + 2 * experts + e] = down[e];
        }
        return Record(y, "GroupedSwiGluFfnBackward", inputs, g =>
        {
            var (dx, dGate, dUp, dDown) = be.GroupedSwiGluFfnBackward(g, input, gate, up, down, starts);
            var grads = new Tensor?[inputs.Length];
            grads[0] = input.requires_grad ? dx : null;
            for (int e = 0; e < experts; e++)
            {
                grads[1 + e] = gate[e].requires_grad ? dGate[e] : null;
                grads[1 + experts + e] = up[e].requires_grad ? dUp[e] : null;
                grads[1 + 2 * experts + e] = down[e].requires_grad ? dDown[e] : null;
            }
            return grads;
        });

        void Check(string name, Tensor? w, int e, int rows, int cols)
        {
            if (w is null) throw new ArgumentNullException(name, $"{op}: {name} weight {e} is null");
            if (w.dim() != 2 || w.Sizes[0] != rows || w.Sizes[1] != cols || rows < 0)
                throw new ArgumentException(
                    $"{op}: {name} weight {e} has shape {Shape.Format(w.Sizes)}, expected [{rows}, {cols}]: gate and up are [H, d], down [d, H], " +
                    $"with d = {d} the input's features and H taken from gate weight 0");
            if (w.dtype != input.dtype || w.device != input.device)
                throw new ArgumentException(
                    $"{op}: {name} weight {e} is {w.dtype.TorchName()} on {w.device}, the input {input.dtype.TorchName()} on {input.device}; all operands need one dtype and device");
        }
    }
}
