// nn.Linear: y = x W^T + b with W (out_features, in_features), PyTorch's default init U(-1/sqrt(in), 1/sqrt(in)).
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>Affine layer <c>y = x W^T + b</c> (PyTorch's <c>torch.nn.Linear</c>).</summary>
        public sealed class Linear : Module<Tensor, Tensor>
        {
            /// <summary>Weight, shape (out_features, in_features).</summary>
            public readonly Parameter weight;

            /// <summary>Bias, shape (out_features), or null without bias.</summary>
            public readonly Parameter? bias;

            /// <summary>Size of each input's last dimension.</summary>
            public long in_features { get; }

            /// <summary>Size of each output's last dimension.</summary>
            public long out_features { get; }

            /// <summary>
            /// Creates the layer with PyTorch's default init: <c>kaiming_uniform_(weight, a: sqrt(5))</c>, i.e.
            /// U(-1/sqrt(in_features), 1/sqrt(in_features)), and the bias from the same range.
            /// </summary>
            /// <param name="in_features">Input size.</param>
            /// <param name="out_features">Output size.</param>
            /// <param name="bias">Whether to learn an additive bias.</param>
            /// <param name="generator">Random source for the init (the default generator when null).</param>
            /// <param name="dtype">Parameter element type.</param>
            public Linear(long in_features, long out_features, bool bias = true, Generator? generator = null, ScalarType dtype = ScalarType.Float32)
            {
                if (in_features < 0 || out_features < 0)
                    throw new ArgumentException($"Linear: in_features ({in_features}) and out_features ({out_features}) must be non-negative");
                this.in_features = in_features;
                this.out_features = out_features;
                weight = new Parameter(empty([out_features, in_features], dtype));
                init.kaiming_uniform_(weight, a: Math.Sqrt(5), generator: generator);
                if (bias)
                {
                    this.bias = new Parameter(empty([out_features], dtype));
                    double bound = in_features > 0 ? 1 / Math.Sqrt(in_features) : 0;
                    init.uniform_(this.bias, -bound, bound, generator);
                }
                register_parameter("weight", weight);
                register_parameter("bias", this.bias);
            }

            /// <summary>(*, in_features) -> (*, out_features).</summary>
            public override Tensor forward(Tensor input) => functional.linear(input, weight, bias);

            /// <inheritdoc/>
            public override string extra_repr() => $"in_features={in_features}, out_features={out_features}, bias={(bias != null ? "True" : "False")}";
        }
    }
}
