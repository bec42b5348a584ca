// nn.Dropout: zeroes elements with probability p and scales survivors by 1/(1-p) in training; identity in eval.
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>Inverted dropout (PyTorch's <c>torch.nn.Dropout</c>); the identity in evaluation mode.</summary>
        public sealed class Dropout : Module<Tensor, Tensor>
        {
            private readonly Generator? _generator;

            /// <summary>Probability of zeroing an element.</summary>
            public double p { get; }

            /// <summary>Creates the layer.</summary>
            /// <param name="p">Drop probability in [0, 1].</param>
            /// <param name="generator">Random source for the masks (the default generator when null).</param>
            public Dropout(double p = 0.5, Generator? generator = null)
            {
                if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout: p must be within [0, 1]");
                this.p = p;
                _generator = generator;
            }

            /// <summary>Same shape in and out.</summary>
            public override Tensor forward(Tensor input) =>
                training && p > 0 ? functional.dropout(input, p, true, _generator) : input;

            /// <inheritdoc/>
            public override string extra_repr() => $"p={p.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        }
    }
}
