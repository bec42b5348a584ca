// nn.LayerNorm: (x - mean) / sqrt(var + eps) * weight + bias over the trailing dims (Ba et al. 2016).
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>Layer normalisation over the trailing <see cref="normalized_shape"/> dims (PyTorch's <c>torch.nn.LayerNorm</c>).</summary>
        public sealed class LayerNorm : Module<Tensor, Tensor>
        {
            /// <summary>Learned scale (ones at init), or null without affine.</summary>
            public readonly Parameter? weight;

            /// <summary>Learned shift (zeros at init), or null.</summary>
            public readonly Parameter? bias;

            /// <summary>The trailing dims normalised over.</summary>
            public long[] normalized_shape { get; }

            /// <summary>Added to the variance for stability.</summary>
            public double eps { get; }

            /// <summary>Normalises over the trailing dims <paramref name="normalized_shape"/>.</summary>
            /// <param name="normalized_shape">Trailing shape, e.g. [model_dim].</param>
            /// <param name="eps">Added to the variance.</param>
            /// <param name="elementwise_affine">Learn a per-element scale (and bias).</param>
            /// <param name="bias">Learn a bias too (only with <paramref name="elementwise_affine"/>).</param>
            /// <param name="dtype">Parameter element type.</param>
            public LayerNorm(long[] normalized_shape, double eps = 1e-5, bool elementwise_affine = true, bool bias = true, ScalarType dtype = ScalarType.Float32)
            {
                this.normalized_shape = NormShape.Check(normalized_shape, "LayerNorm");
                this.eps = eps;
                if (elementwise_affine)
                {
                    weight = new Parameter(ones(this.normalized_shape, dtype));
                    if (bias) this.bias = new Parameter(zeros(this.normalized_shape, dtype));
                }
                register_parameter("weight", weight);
                register_parameter("bias", this.bias);
            }

            /// <summary>Normalises over the last dimension of size <paramref name="dim"/>.</summary>
            /// <param name="dim">Size of the last dimension.</param>
            /// <param name="eps">Added to the variance.</param>
            /// <param name="elementwise_affine">Learn a per-element scale (and bias).</param>
            /// <param name="bias">Learn a bias too.</param>
            /// <param name="dtype">Parameter element type.</param>
            public LayerNorm(long dim, double eps = 1e-5, bool elementwise_affine = true, bool bias = true, ScalarType dtype = ScalarType.Float32)
                : this([dim], eps, elementwise_affine, bias, dtype) { }

            /// <summary>Same shape in and out.</summary>
            public override Tensor forward(Tensor input) => functional.layer_norm(input, normalized_shape, weight, bias, eps);

            /// <inheritdoc/>
            public override string extra_repr() =>
                $"{NormShape.Format(normalized_shape)}, eps={eps.ToString(System.Globalization.CultureInfo.InvariantCulture)}, elementwise_affine={(weight != null ? "True" : "False")}";
        }
    }
}
