// torch.nn.utils: gradient clipping by global norm (Pascanu et al. 2013) and by value, in place on .grad.
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>Training utilities (PyTorch's <c>torch.nn.utils</c>).</summary>
        public static class utils
        {
            /// <summary>
            /// Scales all gradients together so that their joint norm is at most <paramref name="max_norm"/>:
            /// total = (sum over all grad elements |g|^p)^(1/p), accumulated in float64 (p = +inf: max |g|); when
            /// total exceeds max_norm every gradient is multiplied by max_norm / (total + 1e-6), as PyTorch does.
            /// Parameters without a gradient are skipped.
            /// </summary>
            /// <param name="parameters">Tensors whose <c>grad</c> is clipped.</param>
            /// <param name="max_norm">Largest allowed norm.</param>
            /// <param name="norm_type">p of the p-norm; <see cref="double.PositiveInfinity"/> for the max norm.</param>
            /// <param name="error_if_nonfinite">Throw when the total norm is NaN or infinite (gradients are then left unchanged).</param>
            /// <returns>The total norm of the gradients before clipping (NaN or infinity reports non-finite gradients).</returns>
            /// <exception cref="InvalidOperationException"><paramref name="error_if_nonfinite"/> is set and the norm is not finite.</exception>
            public static double clip_grad_norm_(IEnumerable<Tensor> parameters, double max_norm, double norm_type = 2.0, bool error_if_nonfinite = false)
            {
                ArgumentNullException.ThrowIfNull(parameters);
                if (!(norm_type > 0)) throw new ArgumentException($"clip_grad_norm_: norm_type must be positive or +inf, got {norm_type}", nameof(norm_type));
                var grads = Grads(parameters, "clip_grad_norm_");
                if (grads.Count == 0) return 0;
                bool inf = double.IsPositiveInfinity(norm_type);
                double acc = 0;
                foreach (var (_, g) in grads)
                {
                    double s = g.backend.NormPowerSum(g.is_contiguous() ? g : g.detach().contiguous(), norm_type);
                    acc = double.IsNaN(s) || double.IsNaN(acc) ? double.NaN : inf ? Math.Max(acc, s) : acc + s;
                }
                double total = inf ? acc : norm_type == 2 ? Math.Sqrt(acc) : Math.Pow(acc, 1 / norm_type);
                if (error_if_nonfinite && !double.IsFinite(total))
                    throw new InvalidOperationException(
                        $"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total}, so they cannot be clipped; " +
                        "pass error_if_nonfinite: false to clip anyway (the gradients then become NaN or zero)");
                double coef = max_norm / (total + 1e-6);
                if (!(coef >= 1)) // coef < 1, or NaN for a NaN norm (which then spreads to the gradients, as in PyTorch)
                    foreach (var (owner, g) in grads) Apply(owner, g, t => t.backend.ScaleInPlace(t, coef));
                return total;
            }

            /// <summary>Clamps every gradient element to [-<paramref name="clip_value"/>, <paramref name="clip_value"/>] in place.</summary>
            public static void clip_grad_value_(IEnumerable<Tensor> parameters, double clip_value)
            {
                ArgumentNullException.ThrowIfNull(parameters);
                if (!(clip_value >= 0)) throw new ArgumentException($"clip_grad_value_: clip_value must be non-negative, got {clip_value}", nameof(clip_value));
                foreach (var (owner, g) in Grads(parameters, "clip_grad_value_")) Apply(owner, g, t => t.backend.ClampInPlace(t, -clip_value, clip_value));
            }

            /// <summary>(owner, contiguous grad) pairs of the parameters that have a gradient.</summary>
            private static List<(Tensor owner, Tensor grad)> Grads(IEnumerable<Tensor> parameters, string op)
            {
                var list = new List<(Tensor, Tensor)>();
                var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
                foreach (var p in parameters)
                {
                    if (p?.grad is not { } g || !seen.Add(p)) continue;
                    if (g.dtype is not (ScalarType.Float32 or ScalarType.Float64))
                        throw new NotSupportedException($"{op}: gradients of type {g.dtype.TorchName()} are not supported (float32 and float64 are)");
                    list.Add((p, g));
                }
                return list;
            }

            /// <summary>Runs an in-place kernel on a gradient, through a contiguous copy when it is strided.</summary>
            private static void Apply(Tensor owner, Tensor g, Action<Tensor> kernel)
            {
                if (g.is_contiguous())
                {
                    kernel(g);
                    return;
                }
                var c = g.detach().contiguous();
                kernel(c);
                using (no_grad()) owner.grad!.copy_(c);
            }
        }
    }
}
