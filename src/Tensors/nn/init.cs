// torch.nn.init: in-place initialisers with PyTorch's fan and gain rules (Glorot & Bengio 2010; He et al. 2015;
// Saxe et al. 2014 for orthogonal). Every random fill takes an optional Generator, so model init is seedable.
namespace PluginMoE.Tensors;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>In-place weight initialisers (PyTorch's <c>torch.nn.init</c>). All run without recording gradients.</summary>
        public static partial class init
        {
            /// <summary>
            /// The recommended gain for a nonlinearity: 1 for linear/conv/sigmoid, 5/3 for tanh, sqrt(2) for relu,
            /// sqrt(2/(1+slope^2)) for leaky_relu (slope <paramref name="param"/>, default 0.01), 3/4 for selu.
            /// </summary>
            /// <exception cref="ArgumentException">Unknown nonlinearity or a bad slope.</exception>
            public static double calculate_gain(string nonlinearity, double? param = null)
            {
                ArgumentNullException.ThrowIfNull(nonlinearity);
                switch (nonlinearity)
                {
                    case "linear" or "conv1d" or "conv2d" or "conv3d" or "conv_transpose1d" or "conv_transpose2d" or "conv_transpose3d" or "sigmoid":
                        return 1;
                    case "tanh": return 5.0 / 3;
                    case "relu": return Math.Sqrt(2.0);
                    case "leaky_relu":
                        double slope = param ?? 0.01;
                        if (double.IsNaN(slope) || double.IsInfinity(slope))
                            throw new ArgumentException($"calculate_gain: negative_slope {slope} is not a valid number", nameof(param));
                        return Math.Sqrt(2.0 / (1 + slope * slope));
                    case "selu": return 3.0 / 4;
                    default:
                        throw new ArgumentException(
                            $"calculate_gain: unsupported nonlinearity '{nonlinearity}' (supported: linear, conv1d, conv2d, conv3d, conv_transpose1d, " +
                            "conv_transpose2d, conv_transpose3d, sigmoid, tanh, relu, leaky_relu, selu)", nameof(nonlinearity));
                }
            }

            /// <summary>
            /// (fan_in, fan_out) as PyTorch computes them: for shape (out, in, *kernel), fan_in = in * prod(kernel)
            /// and fan_out = out * prod(kernel).
            /// </summary>
            /// <exception cref="ArgumentException">The tensor has fewer than 2 dimensions.</exception>
            public static (long fan_in, long fan_out) calculate_fan_in_and_fan_out(Tensor tensor)
            {
                ArgumentNullException.ThrowIfNull(tensor);
                if (tensor.dim() < 2)
                    throw new ArgumentException($"Fan in and fan out can not be computed for tensor with fewer than 2 dimensions (shape {Shape.Format(tensor.Sizes)})", nameof(tensor));
                long receptive = 1;
                for (int d = 2; d < tensor.dim(); d++) receptive *= tensor.Sizes[d];
                return (tensor.Sizes[1] * receptive, tensor.Sizes[0] * receptive);
            }

            private static long CalculateFan(Tensor tensor, string mode) => mode switch
            {
                "fan_in" => calculate_fan_in_and_fan_out(tensor).fan_in,
                "fan_out" => calculate_fan_in_and_fan_out(tensor).fan_out,
                _ => throw new ArgumentException($"init: mode '{mode}' is not supported; use \"fan_in\" or \"fan_out\"", nameof(mode)),
            };

            // ------------------------------------------------------------ fills

            /// <summary>Fills with U(<paramref name="a"/>, <paramref name="b"/>); returns the tensor.</summary>
            public static Tensor uniform_(Tensor tensor, double a = 0, double b = 1, Generator? generator = null)
            {
                var g = generator ?? default_generator;
                return Fill(tensor, "uniform_", s => g.FillUniform(s, (float)a, (float)b), s => g.FillUniform(s, a, b));
            }

            /// <summary>Fills with N(<paramref name="mean"/>, <paramref name="std"/>^2); returns the tensor.</summary>
            public static Tensor normal_(Tensor tensor, double mean = 0, double std = 1, Generator? generator = null)
            {
                var g = generator ?? default_generator;
                return Fill(tensor, "normal_", s => g.FillNormal(s, (float)mean, (float)std), s => g.FillNormal(s, mean, std));
            }

            /// <summary>Fills with <paramref name="val"/>; returns the tensor.</summary>
            public static Tensor constant_(Tensor tensor, double val)
            {
                ArgumentNullException.ThrowIfNull(tensor);
                using (no_grad()) tensor.fill_(val);
                return tensor;
            }

            /// <summary>Fills with ones; returns the tensor.</summary>
            public static Tensor ones_(Tensor tensor) => constant_(tensor, 1);

            /// <summary>Fills with zeros; returns the tensor.</summary>
            public static Tensor zeros_(Tensor tensor) => constant_(tensor, 0);

            /// <summary>Fills a 2-D tensor with the identity matrix (ones on the main diagonal); returns the tensor.</summary>
            public static Tensor eye_(Tensor tensor)
            {
                ArgumentNullException.ThrowIfNull(tensor);
                if (tensor.dim() != 2) throw new ArgumentException($"eye_: only 2-D tensors are supported, got shape {Shape.Format(tensor.Sizes)}", nameof(tensor));
                using (no_grad())
                {
                    tensor.zero_();
                    for (int i = 0; i < Math.Min(tensor.Sizes[0], tensor.Sizes[1]); i++) tensor[i][i].fill_(1);
                }
                return tensor;
            }

            /// <summary>Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)); returns the tensor.</summary>
            public static Tensor xavier_uniform_(Tensor tensor, double gain = 1, Generator? generator = null)
            {
                var (fi, fo) = calculate_fan_in_and_fan_out(tensor);
                double std = gain * Math.Sqrt(2.0 / (fi + fo));
                double a = Math.Sqrt(3.0) * std;
                return uniform_(tensor, -a, a, generator);
            }

            /// <summary>Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)); returns the tensor.</summary>
            public static Tensor xavier_normal_(Tensor tensor, double gain = 1, Generator? generator = null)
            {
                var (fi, fo) = calculate_fan_in_and_fan_out(tensor);
                return normal_(tensor, 0, gain * Math.Sqrt(2.0 / (fi + fo)), generator);
            }

            /// <summary>
            /// He uniform: U(-bound, bound) with bound = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a)
            /// and fan chosen by <paramref name="mode"/>; returns the tensor.
            /// </summary>
            /// <param name="tensor">Tensor to fill (at least 2-D).</param>
            /// <param name="a">Negative slope of the leaky_relu that follows (PyTorch's Linear uses sqrt(5)).</param>
            /// <param name="mode">"fan_in" keeps the forward variance, "fan_out" the backward one.</param>
            /// <param name="nonlinearity">"relu" or "leaky_relu" (or any name calculate_gain accepts).</param>
            /// <param name="generator">Random source (the default generator when null).</param>
            public static Tensor kaiming_uniform_(Tensor tensor, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu", Generator? generator = null)
            {
                if (tensor.NumelCached == 0) return tensor;
                long fan = CalculateFan(tensor, mode);
                double bound = Math.Sqrt(3.0) * calculate_gain(nonlinearity, a) / Math.Sqrt(fan);
                return uniform_(tensor, -bound, bound, generator);
            }

            /// <summary>He normal: N(0, std^2) with std = gain / sqrt(fan); returns the tensor (parameters as in <see cref="kaiming_uniform_"/>).</summary>
            public static Tensor kaiming_normal_(Tensor tensor, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu", Generator? generator = null)
            {
                if (tensor.NumelCached == 0) return tensor;
                long fan = CalculateFan(tensor, mode);
                return normal_(tensor, 0, calculate_gain(nonlinearity, a) / Math.Sqrt(fan), generator);
            }

            /// <summary>
            /// Fills with N(<paramref name="mean"/>, <paramref name="std"/>^2) truncated to [<paramref name="a"/>, <paramref name="b"/>]
            /// (absolute bounds, as in PyTorch); returns the tensor. Samples are exact draws from the truncated law.
            /// </summary>
            public static Tensor trunc_normal_(Tensor tensor, double mean = 0, double std = 1, double a = -2, double b = 2, Generator? generator = null)
            {
                if (!(std > 0)) throw new ArgumentException($"trunc_normal_: std must be positive, got {std}", nameof(std));
                if (!(a < b)) throw new ArgumentException($"trunc_normal_: need a < b, got a={a}, b={b}", nameof(a));
                var g = generator ?? default_generator;
                return Fill(tensor, "trunc_normal_", s =>
                {
                    var d = new double[s.Length];
                    TruncatedNormal.Sample(d, mean, std, a, b, g);
                    for (int i = 0; i < s.Length; i++) s[i] = (float)d[i];
                }, s => TruncatedNormal.Sample(s, mean, std, a, b, g));
            }

            /// <summary>
            /// Fills with a (semi-)orthogonal matrix times <paramref name="gain"/>: the tensor is viewed as
            /// (size(0), numel/size(0)); Q comes from the QR factorisation of a standard normal matrix, with the
            /// signs fixed so that R has a positive diagonal (as PyTorch does). Returns the tensor.
            /// </summary>
            /// <exception cref="ArgumentException">The tensor has fewer than 2 dimensions.</exception>
            public static Tensor orthogonal_(Tensor tensor, double gain = 1, Generator? generator = null)
            {
                ArgumentNullException.ThrowIfNull(tensor);
                if (tensor.dim() < 2)
                    throw new ArgumentException($"orthogonal_: only tensors with 2 or more dimensions are supported, got shape {Shape.Format(tensor.Sizes)}", nameof(tensor));
                if (tensor.NumelCached == 0) return tensor;
                int rows = tensor.Sizes[0], cols = tensor.NumelCached / rows;
                var flat = randn([rows, cols], ScalarType.Float64, generator);
                var q = Orthogonal.Q(flat.data<double>(), rows, cols, gain);
                using (no_grad()) tensor.copy_(Tensor.Wrap(q, (int[])tensor.Sizes.Clone()));
                return tensor;
            }

            /// <summary>Fills through a contiguous buffer of the tensor's type (float32/float64) or a float64 buffer converted.</summary>
            private static Tensor Fill(Tensor tensor, string op, Action<Span<float>> f32, Action<Span<double>> f64)
            {
                ArgumentNullException.ThrowIfNull(tensor);
                if (!tensor.dtype.IsFloatingPoint())
                    throw new ArgumentException($"{op}: needs a floating point tensor, got {tensor.dtype.TorchName()}", nameof(tensor));
                using var _ = no_grad();
                bool direct = tensor.is_contiguous() && tensor.device.type == DeviceType.CPU; // other devices: fill a CPU buffer, then copy
                if (tensor.dtype == ScalarType.Float32 && direct) f32(tensor.AsSpan<float>());
                else if (tensor.dtype == ScalarType.Float64 && direct) f64(tensor.AsSpan<double>());
                else if (tensor.dtype == ScalarType.Float32)
                {
                    var tmp = Tensor.Empty(ScalarType.Float32, (int[])tensor.Sizes.Clone());
                    f32(tmp.AsSpan<float>());
                    tensor.copy_(tmp);
                }
                else
                {
                    var tmp = Tensor.Empty(ScalarType.Float64, (int[])tensor.Sizes.Clone());
                    f64(tmp.AsSpan<double>());
                    tensor.copy_(tmp);
                }
                return tensor;
            }
        }
    }
}
