// The routed SwiGLU experts of a MoE layer for a handful of tokens, as one inference op (Shazeer 2020 SwiGLU experts,
// Mixtral-style weighted top-k sum): y_t = a_t + sum over the token's slots of w * (silu(x_t Wg_e^T) * (x_t Wu_e^T)) Wd_e^T.
// No autograd: the training path is the expert-sorted grouped GEMM of the MoE layer's dispatch.
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        public static partial class functional
        {
            /// <summary>
            /// The weighted sum of SwiGLU experts over explicit (token, expert, weight) slots, for inference with a few
            /// tokens (KV-cache decoding): slot s adds <c>weights[s] * (silu(x_t @ gate[e]^T) * (x_t @ up[e]^T)) @ down[e]^T</c>,
            /// with t = <paramref name="tokens"/>[s] and e = <paramref name="experts"/>[s], to row t of the result, a new
            /// (N, d) that starts as <paramref name="addTo"/> (N, d) or zeros. <paramref name="gate"/>[e] and
            /// <paramref name="up"/>[e] are (H_e, d) and <paramref name="down"/>[e] (d, H_e), one dtype and device with
            /// <paramref name="input"/>; experts without slots are not read. Each row sums its contributions in increasing
            /// expert id (slots of one expert in the given order), each rounded as <c>y + (w * ffn)</c>. The CPU backend
            /// reads each chosen expert once, with gate and up in one pass and the SwiGLU fused, and adds the down
            /// projection's weighted output in place. Not differentiable: it refuses inputs that require gradients while
            /// gradients are enabled.
            /// </summary>
            /// <exception cref="ArgumentException">The shapes, dtypes, devices, ids or slot lists do not fit (the message says which).</exception>
            /// <exception cref="InvalidOperationException">Gradients are enabled and an input requires them.</exception>
            public static Tensor swiglu_expert_sum(Tensor input, IReadOnlyList<int> tokens, IReadOnlyList<int> experts, IReadOnlyList<double> weights,
                IReadOnlyList<Tensor> gate, IReadOnlyList<Tensor> up, IReadOnlyList<Tensor> down, Tensor? addTo = null) =>
                Tensor.SwiGluExpertSum(input, tokens, experts, weights, gate, up, down, addTo);
        }
    }
}

public partial class Tensor
{
    internal static Tensor SwiGluExpertSum(Tensor input, IReadOnlyList<int> tokens, IReadOnlyList<int> experts, IReadOnlyList<double> weights,
        IReadOnlyList<Tensor> gate, IReadOnlyList<Tensor> up, IReadOnlyList<Tensor> down, Tensor? addTo)
    {
        const string op = "swiglu_expert_sum";
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(experts);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(up);
        ArgumentNullException.ThrowIfNull(down);
        int ne = gate.Count;
        if (ne == 0 || up.Count != ne || down.Count != ne)
            throw new ArgumentException($"{op}: got {gate.Count} gate, {up.Count} up and {down.Count} down weights; give one of each per expert (at least one expert)");
        if (input.dim() != 2)
            throw new ArgumentException($"{op}: input must be 2-D (tokens, features), got shape {Shape.Format(input.Sizes)}");
        if (input.dtype is not (ScalarType.Float32 or ScalarType.Float64))
            throw new NotSupportedException($"{op}: {input.dtype.TorchName()} tensors are not supported; use float32 or float64");
        int n = input.Sizes[0], d = input.Sizes[1];
        if (experts.Count != tokens.Count || weights.Count != tokens.Count)
            throw new ArgumentException($"{op}: {tokens.Count} slot tokens, {experts.Count} slot experts and {weights.Count} slot weights; give one of each per slot");
        for (int s = 0; s < tokens.Count; s++)
        {
            if (tokens[s] < 0 || tokens[s] >= n)
                throw new ArgumentException($"{op}: slot {s} names token {tokens[s]}, but the input has {n} rows (0..{n - 1})");
            if (experts[s] < 0 || experts[s] >= ne)
                throw new ArgumentException($"{op}: slot {s} names expert {experts[s]}, but {ne} experts are given (0..{ne - 1})");
        }
        for (int e = 0; e < ne; e++)
        {
            var g = gate[e] ?? throw new ArgumentNullException(nameof(gate), $"{op}: gate weight {e} is null");
            int h = g.dim() == 2 ? g.Sizes[0] : -1;
            Check("gate", g, e, h, d);
            Check("up", up[e], e, h, d);
            Check("down", down[e], e, d, h);
        }
        if (addTo is not null && (!Shape.Equal(addTo.Sizes, input.Sizes) || addTo.dtype != input.dtype || addTo.device != input.device))
            throw new ArgumentException(
                $"{op}: addTo is {addTo.dtype.TorchName()} {Shape.Format(addTo.Sizes)} on {addTo.device}, expected the input's {input.dtype.TorchName()} {Shape.Format(input.Sizes)} on {input.device}");
        if (torch.is_grad_enabled() && (input.requires_grad || addTo?.requires_grad == true || gate.Concat(up).Concat(down).Any(w => w.requires_grad)))
            throw new InvalidOperationException(
                $"{op}: an input requires gradients while gradients are enabled; this op has no backward (run it under torch.no_grad(), or use grouped_linear and swiglu for training)");
        return input.backend.SwiGluExpertSum(input, tokens, experts, weights, gate, up, down, addTo);

        void Check(string name, Tensor? w, int e, int rows, int cols)
        {
            if (w is null) throw new ArgumentNullException(name, $"{op}: {name} weight {e} is null");
            if (w.dim() != 2 || w.Sizes[0] != rows || w.Sizes[1] != cols || rows < 0)
                throw new ArgumentException(
                    $"{op}: {name} weight {e} has shape {Shape.Format(w.Sizes)}, expected [{rows}, {cols}]: gate and up are [H, d], down [d, H], " +
                    $"with d = {d} the input's features and H taken from gate weight {e}");
            if (w.dtype != input.dtype || w.device != input.device)
                throw new ArgumentException(
                    $"{op}: {name} weight {e} is {w.dtype.TorchName()} on {w.device}, the input {input.dtype.TorchName()} on {input.device}; all operands need one dtype and device");
        }
    }
}
