// RMSNorm and LayerNorm: golden values from FusedReference.py (PyTorch 1.13), finite differences, errors.
using static PluginMoE.Tensors.Tests.Ops.FusedInputs;
using F = PluginMoE.Tensors.torch.nn.functional;

namespace PluginMoE.Tensors.Tests.Ops;

public class NormalizationTests
{
    // FusedReference.py: x = seq((2, 3, 5), 0.7, 0.3, 2.0); w = 1 + seq((5,), 0.9, 0.1, 0.5)
    //                    x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * w
    private static readonly double[] RmsGolden = [0.4638898496, 1.787414251, 2.184161393, 1.179041812, 0.04569829443, -0.9375811263, -2.026967665, -1.899479849, -0.6370690239, 0.3342372942, 1.254498983, 1.974878226, 1.372188795, 0.04063959018, -0.6455626066, -1.4009008, -1.691832708, -0.7178270618, 0.5200485063, 0.8590579761, 1.391370063, 1.240765956, 0.01575450375, -1.000504355, -0.9714725646, -1.237170777, -0.6611555905, 0.6872173529, 1.376419285, 0.9827523877];

    // x = seq((2, 3, 4), 0.45, -0.2, 3.0) + 0.5; w = 1 + seq((3, 4), 0.8, 0.4, 0.3); b = seq((3, 4), 1.3, 0.7, 0.2)
    // F.layer_norm(x, (3, 4), w, b, 1e-5)
    private static readonly double[] LnAffineGolden = [-0.3912067248, 0.415758186, 0.9352887212, 1.066828841, 1.031991127, 0.9540445256, 0.6691174834, 0.01828259895, -0.8285132631, -1.481749503, -1.714242549, -1.608386483, -1.694982853, -1.321917659, -0.7092067984, -0.01466251046, 0.6056316854, 1.013700793, 1.130757022, 0.9654237943, 0.5720768874, 0.00091623348, -0.6643989967, -1.243567079];

    // F.layer_norm(x, (4,), None, None, 1e-5)
    private static readonly double[] LnPlainGolden = [-1.430168485, -0.3670762206, 0.5786195073, 1.218625198, 1.05749601, 0.6985812442, -0.2254525012, -1.530624753, 1.551782732, 0.1889641229, -0.7270028898, -1.013743965, -1.237477324, -0.5627187252, 0.3845299759, 1.415666073, -1.629506447, 0.4396029951, 1.065720634, 0.1241828184, 1.342192688, 0.465094161, -0.4858856618, -1.321401187];

    private static Tensor LnX(ScalarType t) => (Seq([2, 3, 4], 0.45, -0.2, 3.0) + 0.5).to(t);

    [Theory]
    [InlineData(ScalarType.Float64, 1e-9)]
    [InlineData(ScalarType.Float32, 2e-6)]
    public void RmsNorm_Forward_MatchesPyTorch(ScalarType dtype, double tol)
    {
        var x = Seq([2, 3, 5], 0.7, 0.3, 2.0, dtype);
        var w = (1 + Seq([5], 0.9, 0.1, 0.5)).to(dtype);
        var y = F.rms_norm(x, [5], w, 1e-6);
        Assert.Equal(dtype, y.dtype);
        AssertClose(RmsGolden, y, tol);
    }

    [Theory]
    [InlineData(ScalarType.Float64, 1e-9)]
    [InlineData(ScalarType.Float32, 2e-6)]
    public void LayerNorm_Forward_MatchesPyTorch(ScalarType dtype, double tol)
    {
        var w = (1 + Seq([3, 4], 0.8, 0.4, 0.3)).to(dtype);
        var b = Seq([3, 4], 1.3, 0.7, 0.2, dtype);
        AssertClose(LnAffineGolden, F.layer_norm(LnX(dtype), [3, 4], w, b), tol);
        AssertClose(LnPlainGolden, F.layer_norm(LnX(dtype), [4]), tol);
    }

    [Fact]
    public void RmsNorm_Gradients_MatchFiniteDifferences()
    {
        var g = new Generator(11);
        // x arrives as (3, 2, 5) and is permuted to a non-contiguous (2, 3, 5); the weight is a narrowed view.
        GradCheck.Check(t => F.rms_norm(t[0].permute(1, 0, 2), [5], t[1].narrow(0, 1, 5), 1e-6),
            [GradCheck.Input(g, 3, 2, 5), GradCheck.Input(g, 7)]);
        GradCheck.Check(t => F.rms_norm(t[0].transpose(0, 1), [4, 3]), [GradCheck.Input(g, 4, 3, 3)]);
    }

    [Fact]
    public void LayerNorm_Gradients_MatchFiniteDifferences()
    {
        var g = new Generator(12);
        GradCheck.Check(t => F.layer_norm(t[0].transpose(0, 1), [3, 4], t[1], t[2]),
            [GradCheck.Input(g, 3, 2, 4), GradCheck.Input(g, 3, 4), GradCheck.Input(g, 3, 4)]);
        GradCheck.Check(t => F.layer_norm(t[0].permute(2, 0, 1), [3]), [GradCheck.Input(g, 2, 3, 5)]);
        GradCheck.Check(t => F.layer_norm(t[0], [5], t[1], null), [GradCheck.Input(g, 4, 5), GradCheck.Input(g, 5)]);
        GradCheck.Check(t => F.layer_norm(t[0], [5], null, t[1]), [GradCheck.Input(g, 4, 5), GradCheck.Input(g, 5)]);
    }

    [Fact]
    public void Norms_ManyRows_WeightGradientsEqualDirectSums()
    {
        // Enough rows that the weight-gradient reduction is split into per-thread chunks.
        const int rows = 9000, cols = 8;
        var g = new Generator(5);
        var x = torch.randn([rows, cols], ScalarType.Float64, g);
        var w = torch.randn([cols], ScalarType.Float64, g).requires_grad_();
        var b = torch.randn([cols], ScalarType.Float64, g).requires_grad_();
        var dy = torch.randn([rows, cols], ScalarType.Float64, g);
        var X = x.data<double>();
        var DY = dy.data<double>();

        F.rms_norm(x, [cols], w).backward(dy);
        var dwRms = new double[cols];
        for (int r = 0; r < rows; r++)
        {
            double ss = 0;
            for (int c = 0; c < cols; c++) ss += X[r * cols + c] * X[r * cols + c];
            double rstd = 1 / Math.Sqrt(ss / cols + 1e-6);
            for (int c = 0; c < cols; c++) dwRms[c] += DY[r * cols + c] * X[r * cols + c] * rstd;
        }
        AssertClose(dwRms, w.grad!, 1e-10);

        w.grad = null;
        F.layer_norm(x, [cols], w, b).backward(dy);
        var dwLn = new double[cols];
        var dbLn = new double[cols];
        for (int r = 0; r < rows; r++)
        {
            double mu = 0, v = 0;
            for (int c = 0; c < cols; c++) mu += X[r * cols + c] / cols;
            for (int c = 0; c < cols; c++) v += (X[r * cols + c] - mu) * (X[r * cols + c] - mu) / cols;
            double rstd = 1 / Math.Sqrt(v + 1e-5);
            for (int c = 0; c < cols; c++)
            {
                dwLn[c] += DY[r * cols + c] * (X[r * cols + c] - mu) * rstd;
                dbLn[c] += DY[r * cols + c];
            }
        }
        AssertClose(dwLn, w.grad!, 1e-10);
        AssertClose(dbLn, b.grad!, 1e-10);
    }

    [Fact]
    public void Norms_RepeatedRuns_AreBitwiseIdentical()
    {
        var g = new Generator(6);
        var x = torch.randn([5000, 16], ScalarType.Float32, g);
        var w = torch.randn([16], ScalarType.Float32, g);
        float[] Run()
        {
            var wl = w.detach().requires_grad_();
            F.layer_norm(x, [16], wl).sum().backward();
            return wl.grad!.data<float>();
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void RmsNorm_Float32_AgreesWithFloat64()
    {
        var g = new Generator(8);
        var x = torch.randn([6, 33], ScalarType.Float64, g) * 3.0;
        var w = torch.randn([33], ScalarType.Float64, g);
        AssertClose(F.rms_norm(x, [33], w), F.rms_norm(x.@float(), [33], w.@float()), 1e-5);
    }

    [Fact]
    public void LayerNorm_WrongNormalizedShape_FailsNamingShapes()
    {
        var x = torch.zeros(2, 3, 4);
        var ex = Assert.Throws<ArgumentException>(() => F.layer_norm(x, [3]));
        Assert.Contains("layer_norm", ex.Message);
        Assert.Contains("[2, 3, 4]", ex.Message);
        Assert.Contains("normalized_shape = [4]", ex.Message);
    }

    [Fact]
    public void RmsNorm_WeightShapeMismatch_FailsNamingBoth()
    {
        var ex = Assert.Throws<ArgumentException>(() => F.rms_norm(torch.zeros(2, 4), [4], torch.zeros(3)));
        Assert.Contains("weight has shape [3]", ex.Message);
        Assert.Contains("normalized_shape is [4]", ex.Message);
    }
}
