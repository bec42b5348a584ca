// RMSNorm (Zhang & Sennrich 2019, eq. 4) and LayerNorm (Ba et al. 2016) over trailing dims, each one fused
// kernel pair (Backends/CpuBackend.Normalization.cs) with a single backward node.
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        public static partial class functional
        {
            /// <summary>
            /// RMS normalisation over the trailing <paramref name="normalized_shape"/> dims (PyTorch 2.4's
            /// <c>F.rms_norm</c>, Llama's <c>RMSNorm</c>): <c>y = x / sqrt(mean(x^2) + eps) * weight</c>.
            /// One fused kernel; backward gives gradients for <paramref name="input"/> and <paramref name="weight"/>.
            /// </summary>
            /// <param name="input">Float32/float64 tensor whose trailing dims equal <paramref name="normalized_shape"/>.</param>
            /// <param name="normalized_shape">The trailing dims to normalise over, e.g. <c>[hidden]</c>.</param>
            /// <param name="weight">Element-wise scale of shape <paramref name="normalized_shape"/>, or null for none.</param>
            /// <param name="eps">Added to the mean square for stability.</param>
            /// <returns>A tensor of the input's shape.</returns>
            /// <exception cref="ArgumentException">The trailing dims or the weight shape/dtype do not match.</exception>
            public static Tensor rms_norm(Tensor input, long[] normalized_shape, Tensor? weight = null, double eps = 1e-6)
            {
                int cols = NormCols(input, normalized_shape, "rms_norm");
                var w = NormParam(weight, input, normalized_shape, "rms_norm", "weight");
                var x = input.contiguous();
                var (y, rstd) = x.backend.RmsNormForward(x, w, cols, eps);
                Tensor[] inputs = w is null ? [x] : [x, w];
                return Tensor.Record(y, "RmsNormBackward", inputs, g =>
                {
                    var (dx, dw) = x.backend.RmsNormBackward(g.contiguous(), x, w, rstd, cols, w is { requires_grad: true });
                    return w is null ? [dx] : [dx, dw?.view(w.shape)];
                });
            }

            /// <summary>
            /// Residual add fused with RMS normalisation, the pre-norm transformer's <c>h = x + f(x)</c> followed by
            /// <c>rms_norm(h)</c> (vLLM's <c>fused_add_rms_norm</c>, without its in-place update): returns
            /// <c>sum = input + residual</c> and <c>output = sum / sqrt(mean(sum^2) + eps) * weight</c>, computed in one pass
            /// over each row. Both results belong to one autograd node: its backward takes the gradients of both at once
            /// (a missing one counts as zero) and computes the gradients of <paramref name="input"/>, <paramref name="residual"/>
            /// (the same tensor) and <paramref name="weight"/> in one fused pass.
            /// </summary>
            /// <param name="input">Float32/float64 tensor whose trailing dims equal <paramref name="normalized_shape"/>.</param>
            /// <param name="residual">Added to <paramref name="input"/>; same shape and dtype (no broadcasting).</param>
            /// <param name="normalized_shape">The trailing dims to normalise over, e.g. <c>[hidden]</c>.</param>
            /// <param name="weight">Element-wise scale of shape <paramref name="normalized_shape"/>, or null for none.</param>
            /// <param name="eps">Added to the mean square for stability.</param>
            /// <returns>The sum and its normalisation, both of the input's shape.</returns>
            /// <exception cref="ArgumentException">The shapes or dtypes of input and residual differ, or the trailing dims or weight do not match.</exception>
            public static (Tensor sum, Tensor output) add_rms_norm(Tensor input, Tensor residual, long[] normalized_shape, Tensor? weight = null, double eps = 1e-6)
            {
                ArgumentNullException.ThrowIfNull(residual);
                int cols = NormCols(input, normalized_shape, "add_rms_norm");
                if (!Shape.Equal(input.Sizes, residual.Sizes) || input.dtype != residual.dtype)
                    throw new ArgumentException(
                        $"add_rms_norm: input {Shape.Format(input.Sizes)} ({input.dtype.TorchName()}) and residual {Shape.Format(residual.Sizes)} " +
                        $"({residual.dtype.TorchName()}) must have the same shape and dtype; add them with + and call rms_norm to broadcast");
                var w = NormParam(weight, input, normalized_shape, "add_rms_norm", "weight");
                var x = input.contiguous();
                var r = residual.contiguous();
                var (s, y, rstd) = x.backend.AddRmsNormForward(x, r, w, cols, eps);
                // One node with two outputs: its backward gets dL/dsum and dL/doutput together and one kernel
                // (IBackend.AddRmsNormBackward) returns the gradient shared by input and residual, and the weight's.
                Tensor[] inputs = w is null ? [x, r] : [x, r, w];
                Tensor[] saved = w is null ? [s] : [s, w];
                Tensor.RecordMulti([s, y], "AddRmsNormBackward", inputs, g =>
                {
                    var (dx, dw) = s.backend.AddRmsNormBackward(g[0]?.contiguous(), g[1]?.contiguous(), s, w, rstd, cols, w is { requires_grad: true });
                    return w is null ? [dx, dx] : [dx, dx, dw?.view(w.shape)];
                }, saved);
                return (s, y);
            }

            /// <summary>
            /// Layer normalisation over the trailing <paramref name="normalized_shape"/> dims (PyTorch's
            /// <c>F.layer_norm</c>, biased variance): <c>y = (x - mean) / sqrt(var + eps) * weight + bias</c>.
            /// One fused kernel; backward gives gradients for input, weight and bias.
            /// </summary>
            /// <param name="input">Float32/float64 tensor whose trailing dims equal <paramref name="normalized_shape"/>.</param>
            /// <param name="normalized_shape">The trailing dims to normalise over.</param>
            /// <param name="weight">Element-wise scale of shape <paramref name="normalized_shape"/>, or null.</param>
            /// <param name="bias">Element-wise shift of shape <paramref name="normalized_shape"/>, or null.</param>
            /// <param name="eps">Added to the variance for stability.</param>
            /// <returns>A tensor of the input's shape.</returns>
            /// <exception cref="ArgumentException">The trailing dims or a parameter's shape/dtype do not match.</exception>
            public static Tensor layer_norm(Tensor input, long[] normalized_shape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
            {
                int cols = NormCols(input, normalized_shape, "layer_norm");
                var w = NormParam(weight, input, normalized_shape, "layer_norm", "weight");
                var b = NormParam(bias, input, normalized_shape, "layer_norm", "bias");
                var x = input.contiguous();
                var (y, mean, rstd) = x.backend.LayerNormForward(x, w, b, cols, eps);
                var inputs = new List<Tensor> { x };
                if (w != null) inputs.Add(w);
                if (b != null) inputs.Add(b);
                return Tensor.Record(y, "LayerNormBackward", [.. inputs], g =>
                {
                    var (dx, dw, db) = x.backend.LayerNormBackward(g.contiguous(), x, w, mean, rstd, cols,
                        w is { requires_grad: true }, b is { requires_grad: true });
                    var grads = new List<Tensor?> { dx };
                    if (w != null) grads.Add(dw?.view(w.shape));
                    if (b != null) grads.Add(db?.view(b.shape));
                    return [.. grads];
                });
            }

            /// <summary>Checks that <paramref name="input"/> ends with <paramref name="normalizedShape"/>; returns its element count.</summary>
            private static int NormCols(Tensor input, long[] normalizedShape, string op)
            {
                ArgumentNullException.ThrowIfNull(input);
                ArgumentNullException.ThrowIfNull(normalizedShape);
                if (input.dtype is not (ScalarType.Float32 or ScalarType.Float64))
                    throw new ArgumentException($"{op}: expected a float32 or float64 input, got {input.dtype.TorchName()}; convert with to()");
                int k = normalizedShape.Length, rank = input.dim();
                bool ok = k >= 1 && k <= rank;
                for (int i = 0; ok && i < k; i++) ok = input.Sizes[rank - k + i] == normalizedShape[i];
                if (!ok)
                    throw new ArgumentException(
                        $"{op}: normalized_shape [{string.Join(", ", normalizedShape)}] must be non-empty and equal the trailing dims of the input of shape " +
                        $"{Shape.Format(input.Sizes)} (e.g. normalized_shape = [{(rank > 0 ? input.Sizes[rank - 1] : 0)}])");
                long cols = 1;
                foreach (var s in normalizedShape) cols *= s;
                return (int)cols;
            }

            /// <summary>Validates an affine parameter (shape = normalized_shape, dtype = input's) and makes it contiguous.</summary>
            private static Tensor? NormParam(Tensor? p, Tensor input, long[] normalizedShape, string op, string name)
            {
                if (p is null) return null;
                if (!p.shape.AsSpan().SequenceEqual(normalizedShape))
                    throw new ArgumentException(
                        $"{op}: {name} has shape {Shape.Format(p.Sizes)} but normalized_shape is [{string.Join(", ", normalizedShape)}]; they must be equal");
                if (p.dtype != input.dtype)
                    throw new ArgumentException($"{op}: {name} is {p.dtype.TorchName()} but the input is {input.dtype.TorchName()}; convert one of them with to()");
                return p.contiguous();
            }
        }
    }
}
