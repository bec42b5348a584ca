namespace PluginMoE.Tensors.Tests.Ops;

public class UnaryTests
{
    private static readonly double[] Points = [-6.0, -3.0, -1.0, -0.5, 0.0, 0.3, 1.0, 2.5, 5.0];

    private static void AssertClose(double[] expected, double[] actual, double rtol, double atol = 0)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= atol + rtol * Math.Abs(expected[i]),
                $"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
    }

    // /usr/bin/python3: x = torch.tensor([-6., -3., -1., -.5, 0., .3, 1., 2.5, 5.], dtype=torch.float64); torch.erf(x)
    [Fact]
    public void Erf_Float64_MatchesPyTorch()
    {
        double[] expected = [-1.0, -0.9999779095030014, -0.8427007929497149, -0.5204998778130465, 0.0, 0.3286267594591274,
            0.8427007929497149, 0.999593047982555, 0.9999999999984626];
        AssertClose(expected, torch.tensor(Points).erf().data<double>(), 1e-15);
    }

    [Fact]
    public void Erf_Float32_MatchesFloat64Rounded()
    {
        var x = torch.linspace(-5, 5, 1001, ScalarType.Float64);
        var e64 = x.erf().data<double>();
        var e32 = x.@float().erf().data<float>();
        var xs = x.@float().data<float>();
        for (int i = 0; i < e32.Length; i++)
        {
            double expected = x.@float().@double().erf().data<double>()[i];
            Assert.True(Math.Abs(e32[i] - expected) <= 1.2e-7 * Math.Abs(expected) + 1e-30, $"erf({xs[i]}) = {e32[i]} vs {expected}");
        }
        Assert.Equal(e64.Length, e32.Length);
    }

    // Fixtures/erf_mpmath.csv: 1007 points in [-27, 27], reference erf/erfc from mpmath at 40 digits.
    [Fact]
    public void Erf_DenseGrid_MatchesMpmath()
    {
        double worstErf = 0, worstErfc = 0;
        foreach (var line in File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Fixtures", "erf_mpmath.csv")))
        {
            if (line.StartsWith('#')) continue;
            var f = line.Split(',').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            double erf = PluginMoE.Tensors.Backends.SpecialMath.Erf(f[0]), erfc = PluginMoE.Tensors.Backends.SpecialMath.Erfc(f[0]);
            worstErf = Math.Max(worstErf, Math.Abs(erf - f[1]) / Math.Max(Math.Abs(f[1]), double.Epsilon));
            if (f[2] > 1e-300) worstErfc = Math.Max(worstErfc, Math.Abs(erfc - f[2]) / f[2]);
        }
        Assert.True(worstErf < 1e-15, $"worst erf relative error {worstErf:G3}");
        Assert.True(worstErfc < 5e-15, $"worst erfc relative error {worstErfc:G3}");
    }

    [Fact]
    public void Erf_IsOddAndSaturates()
    {
        var x = torch.linspace(0, 8, 81, ScalarType.Float64);
        var p = x.erf().data<double>();
        var n = x.neg().erf().data<double>();
        for (int i = 0; i < p.Length; i++) Assert.Equal(-p[i], n[i]);
        Assert.Equal(1.0, torch.tensor(new[] { 7.0 }).erf().item<double>());
    }

    // F.gelu(x) and F.gelu(x, approximate='tanh') in float64 on the points above.
    [Fact]
    public void Gelu_BothForms_MatchPyTorch()
    {
        double[] exact = [-5.919525869479969e-09, -0.00404969409489031, -0.15865525393145702, -0.15426876936299344, 0.0,
            0.1853734266566858, 0.841344746068543, 2.4844758366855597, 4.999998566742141];
        double[] tanh = [-8.43964897967453e-11, -0.0036373920817729943, -0.1588080093917233, -0.15428599017485606, 0.0,
            0.18537092354275922, 0.8411919906082768, 2.484915733910001, 4.999999770820381];
        var x = torch.tensor(Points);
        // PyTorch computes 1 + erf(x/sqrt2), which loses digits in the negative tail; ours is accurate there.
        AssertClose(exact, torch.nn.functional.gelu(x).data<double>(), 1e-9, 1e-17);
        AssertClose(tanh, torch.nn.functional.gelu(x, "tanh").data<double>(), 1e-9, 1e-16);
    }

    // F.gelu(x.float()): float32 values (PyTorch's -6 entry is 0.0 through cancellation, so it is left out).
    [Fact]
    public void Gelu_Float32_MatchesPyTorch()
    {
        float[] expected = [-0.004049867391586304f, -0.1586552858352661f, -0.1542687863111496f, 0.0f, 0.1853734254837036f,
            0.8413447141647339f, 2.48447585105896f, 4.999998569488525f];
        var got = torch.tensor(Points.Skip(1).Select(v => (float)v).ToArray()).gelu().data<float>();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], got[i], 6e-7f);
    }

    [Fact]
    public void Gelu_VectorisedBlocks_MatchScalarNormalCdf()
    {
        var x = torch.linspace(-40, 40, 4001, ScalarType.Float64);
        var got = x.gelu().data<double>();
        var xs = x.data<double>();
        for (int i = 0; i < xs.Length; i++)
        {
            double expected = xs[i] * PluginMoE.Tensors.Backends.SpecialMath.NormalCdf(xs[i]);
            Assert.True(Math.Abs(got[i] - expected) <= 1e-15 * Math.Abs(expected) + 1e-300, $"gelu({xs[i]}) = {got[i]:R} vs {expected:R}");
        }
        var special = torch.tensor(new[] { double.PositiveInfinity, double.NegativeInfinity, double.NaN }).gelu().data<double>();
        Assert.Equal(double.PositiveInfinity, special[0]);
        Assert.True(double.IsNaN(special[1])); // -inf * 0, as in PyTorch
        Assert.True(double.IsNaN(special[2]));
    }

    [Fact]
    public void Gelu_UnknownApproximation_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => torch.ones(2).gelu("erf"));
        Assert.Contains("\"none\" or \"tanh\"", ex.Message);
    }

    [Fact]
    public void Activations_MatchDefinitions()
    {
        var xs = new[] { -3.0, -0.7, 0.0, 0.4, 2.0 };
        var x = torch.tensor(xs);
        double Sig(double v) => 1 / (1 + Math.Exp(-v));
        AssertClose(xs.Select(Math.Exp).ToArray(), x.exp().data<double>(), 1e-15);
        AssertClose(xs.Select(Math.Tanh).ToArray(), x.tanh().data<double>(), 1e-15, 1e-16);
        AssertClose(xs.Select(Sig).ToArray(), x.sigmoid().data<double>(), 1e-15);
        AssertClose(xs.Select(v => Math.Max(v, 0)).ToArray(), x.relu().data<double>(), 0);
        AssertClose(xs.Select(v => v * Sig(v)).ToArray(), x.silu().data<double>(), 1e-15);
        AssertClose(xs.Select(Math.Abs).ToArray(), x.abs().data<double>(), 0);
        AssertClose(xs.Select(v => v * v).ToArray(), x.square().data<double>(), 0);
        AssertClose(xs.Select(v => Math.Log(1 + Math.Exp(v))).ToArray(), torch.nn.functional.softplus(x).data<double>(), 1e-14);
        var pos = torch.tensor(new[] { 0.25, 1.0, 4.0, 9.0 });
        AssertClose([Math.Log(0.25), 0, Math.Log(4), Math.Log(9)], pos.log().data<double>(), 1e-15);
        AssertClose([0.5, 1, 2, 3], pos.sqrt().data<double>(), 0);
        AssertClose([2, 1, 0.5, 1 / 3.0], pos.rsqrt().data<double>(), 1e-15);
        AssertClose([4, 1, 0.25, 1 / 9.0], pos.reciprocal().data<double>(), 1e-15);
    }

    [Fact]
    public void Log1pExpm1_SmallArguments_AreAccurate()
    {
        var x = torch.tensor(new[] { 1e-10, -1e-12, 1e-5 });
        AssertClose([1e-10 - 5e-21, -1e-12 - 5e-25, 9.99995000033333e-06], x.log1p().data<double>(), 1e-14);
        AssertClose([1e-10 + 5e-21, -1e-12 + 5e-25, 1.0000050000166667e-05], x.expm1().data<double>(), 1e-14);
        var f = torch.tensor(new[] { 1e-8f }).log1p().item<float>();
        Assert.Equal(1e-8f, f, 1e-15f);
    }

    [Fact]
    public void Softplus_LargeInput_IsLinearAndSmallInputIsAccurate()
    {
        var y = torch.nn.functional.softplus(torch.tensor(new[] { 30.0f, -30.0f, 1000.0f })).data<float>();
        Assert.Equal(30.0f, y[0]);
        Assert.Equal(9.357623e-14f, y[1], 1e-19f);
        Assert.Equal(1000.0f, y[2]);
    }

    [Fact]
    public void IntegerInputs_ArePromotedOrKept()
    {
        var i = torch.tensor(new long[] { -2, 0, 3 });
        Assert.Equal(ScalarType.Int64, i.abs().dtype);
        Assert.Equal(new long[] { 2, 0, 3 }, i.abs().data<long>());
        Assert.Equal(new long[] { 0, 0, 3 }, i.relu().data<long>());
        Assert.Equal(ScalarType.Float32, i.exp().dtype);
    }

    [Fact]
    public void Unary_Gradients_MatchFiniteDifferences_NonContiguous()
    {
        var g = new Generator(11);
        var a = GradCheck.Input(g, 3, 4);
        GradCheck.Check(x => x[0].t().exp() + x[0].t().tanh() + x[0].t().sigmoid() + x[0].t().silu(), [a]);
        GradCheck.Check(x => x[0].narrow(1, 1, 3).gelu() + x[0].narrow(1, 0, 3).gelu("tanh") + x[0].narrow(1, 0, 3).erf(), [a]);
        GradCheck.Check(x => x[0].transpose(0, 1).abs() + x[0].transpose(0, 1).square() + torch.nn.functional.softplus(x[0].transpose(0, 1), 2.0)
            + x[0].t().relu(), [a]);
        var p = torch.rand([3, 4], ScalarType.Float64, g).add(0.5).requires_grad_();
        GradCheck.Check(x => x[0].t().log() + x[0].t().sqrt() + x[0].t().rsqrt() + x[0].t().reciprocal() + x[0].t().log1p() + x[0].t().expm1(), [p]);
    }

    [Fact]
    public void Activations_LargeTensor_MatchSmallChunks()
    {
        // Larger than one parallel chunk: the split must not change any element.
        var x = torch.randn([70000], ScalarType.Float32, new Generator(3));
        var whole = x.silu().data<float>();
        var part = x.narrow(0, 40000, 100).silu().data<float>();
        for (int i = 0; i < 100; i++) Assert.Equal(part[i], whole[40000 + i]);
    }
}
