// nn.RMSNorm: x / sqrt(mean(x^2) + eps) * weight over the trailing dims (Zhang & Sennrich 2019, eq. 4).
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>Root-mean-square normalisation over the trailing <see cref="normalized_shape"/> dims (PyTorch's <c>torch.nn.RMSNorm</c>).</summary>
        public sealed class RMSNorm : Module<Tensor, Tensor>
        {
            /// <summary>Learned scale of shape <see cref="normalized_shape"/> (initialised to ones), or null without affine.</summary>
            public readonly Parameter? weight;

            /// <summary>The trailing dims normalised over.</summary>
            public long[] normalized_shape { get; }

            /// <summary>Added to the mean square for stability.</summary>
            public double eps { get; }

            /// <summary>Normalises over the trailing dims <paramref name="normalized_shape"/>.</summary>
            /// <param name="normalized_shape">Trailing shape, e.g. [model_dim].</param>
            /// <param name="eps">Added to the mean square.</param>
            /// <param name="elementwise_affine">Learn a per-element scale (ones at init).</param>
            /// <param name="dtype">Parameter element type.</param>
            public RMSNorm(long[] normalized_shape, double eps = 1e-6, bool elementwise_affine = true, ScalarType dtype = ScalarType.Float32)
            {
                this.normalized_shape = NormShape.Check(normalized_shape, "RMSNorm");
                this.eps = eps;
                if (elementwise_affine) weight = new Parameter(ones(this.normalized_shape, dtype));
                register_parameter("weight", weight);
            }

            /// <summary>Normalises over the last dimension of size <paramref name="dim"/>.</summary>
            /// <param name="dim">Size of the last dimension.</param>
            /// <param name="eps">Added to the mean square.</param>
            /// <param name="elementwise_affine">Learn a per-element scale (ones at init).</param>
            /// <param name="dtype">Parameter element type.</param>
            public RMSNorm(long dim, double eps = 1e-6, bool elementwise_affine = true, ScalarType dtype = ScalarType.Float32)
                : this([dim], eps, elementwise_affine, dtype) { }

            /// <summary>Same shape in and out.</summary>
            public override Tensor forward(Tensor input) => functional.rms_norm(input, normalized_shape, weight, eps);

            /// <inheritdoc/>
            public override string extra_repr() =>
                $"{NormShape.Format(normalized_shape)}, eps={eps.ToString(System.Globalization.CultureInfo.InvariantCulture)}, elementwise_affine={(weight != null ? "True" : "False")}";
        }

        /// <summary>Validation and printing of normalized_shape arguments.</summary>
        internal static class NormShape
        {
            public static long[] Check(long[] shape, string op)
            {
                ArgumentNullException.ThrowIfNull(shape);
                if (shape.Length == 0 || shape.Any(s => s <= 0))
                    throw new ArgumentException($"{op}: normalized_shape must be a non-empty list of positive sizes, got [{string.Join(", ", shape)}]", nameof(shape));
                return (long[])shape.Clone();
            }

            public static string Format(long[] shape) => "(" + string.Join(", ", shape) + (shape.Length == 1 ? ",)" : ")");
        }
    }
}
