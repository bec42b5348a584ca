// Fused scaled-dot-product attention: naive softmax(QK^T/sqrt(d) + mask) V golden values (FusedReference.py,
// PyTorch 1.13), blocked vs unblocked paths, KV-cache decoding alignment, finite differences and errors.
// The block size is a process-wide knob, so every test that depends on it sets it (tests in a class run serially).
using static PluginMoE.Tensors.Tests.Ops.FusedInputs;
using F = PluginMoE.Tensors.torch.nn.functional;

namespace PluginMoE.Tensors.Tests.Ops;

public class AttentionTests
{
    // FusedReference.py: q = seq((1, 4, 5, 3), 0.53, 0.1, 1.5); k = seq((1, 2, 7, 3), 0.29, 0.8, 1.5); v = seq((1, 2, 7, 3), 0.61, -0.4)
    // naive(q, k, v, causal): GQA via repeat_interleave, softmax(q @ k^T / sqrt(3) masked where j > i + (S - T)) @ v
    private static readonly double[] CausalGolden = [0.2042435923, 0.4033916661, 0.4570347667, 0.3332821283, 0.454857412, 0.412363824, 0.1071868562, 0.4196500743, 0.580743847, 0.3953198912, 0.4379606817, 0.322627318, 0.122854912, 0.2996167327, 0.3683056101, 0.3438321641, 0.4517692529, 0.3967513811, -0.7728228543, -0.5133760061, -0.06875239741, 0.2645607803, 0.6002954224, 0.7195011258, 0.2179242177, 0.4185325247, 0.4681744908, 0.274443184, 0.3656690185, 0.3249965884, -0.1064065874, -0.322961969, -0.4230236881, -0.6273583591, -0.2749449945, 0.1766421196, 0.3945178829, 0.4435098166, 0.3325260012, 0.3653686114, 0.3145705462, 0.1503056379, 0.3762938114, 0.3502797353, 0.19791837, -0.02399199813, -0.05779617009, -0.07075303438, 0.4123638497, 0.4534740159, 0.3310143068, 0.3329687432, 0.2868160574, 0.1372076827, 0.4576628062, 0.419859126, 0.2306105946, 0.2316538747, 0.1342849121, -0.01152115054];

    private static readonly double[] FullGolden = [0.09762733282, 0.2650732035, 0.3369061189, 0.2972165635, 0.4109914265, 0.3765200528, 0.1822888803, 0.2876009652, 0.2891742417, 0.3382714649, 0.3761699219, 0.2783823968, 0.122854912, 0.2996167327, 0.3683056101, 0.287578093, 0.3905725157, 0.3526858837, 0.2136308811, 0.3246272755, 0.3185293248, 0.3199466418, 0.3473920434, 0.2495317578, 0.1458773601, 0.3295118913, 0.3942901769, 0.274443184, 0.3656690185, 0.3249965884, 0.350616974, 0.3318218101, 0.1933372039, 0.3061939067, 0.1993348115, 0.02057485954, 0.3500153421, 0.3969821433, 0.3007559117, 0.3280217038, 0.2808314447, 0.1323441703, 0.3762938114, 0.3502797353, 0.19791837, 0.2711965612, 0.1680669441, 0.004314914101, 0.3754514424, 0.4157866207, 0.3061459166, 0.2907347531, 0.2434682444, 0.1083817747, 0.3979276526, 0.3649874804, 0.2003948771, 0.2316538747, 0.1342849121, -0.01152115054];

    private static (Tensor q, Tensor k, Tensor v) Qkv(ScalarType t = ScalarType.Float64) =>
        (Seq([1, 4, 5, 3], 0.53, 0.1, 1.5, t), Seq([1, 2, 7, 3], 0.29, 0.8, 1.5, t), Seq([1, 2, 7, 3], 0.61, -0.4, 1.0, t));

    [Theory]
    [InlineData(ScalarType.Float64, 64, 1e-9)]
    [InlineData(ScalarType.Float64, 2, 1e-9)]
    [InlineData(ScalarType.Float64, 3, 1e-9)]
    [InlineData(ScalarType.Float32, 2, 2e-6)]
    [InlineData(ScalarType.Float32, 64, 2e-6)]
    public void Sdpa_GqaWithLongerKv_MatchesNaiveSoftmax(ScalarType dtype, int block, double tol)
    {
        F.AttentionBlockSize = block;
        var (q, k, v) = Qkv(dtype);
        AssertClose(CausalGolden, F.scaled_dot_product_attention(q, k, v, is_causal: true), tol);
        AssertClose(FullGolden, F.scaled_dot_product_attention(q, k, v), tol);
    }

    [Fact]
    public void Sdpa_NonContiguousInputs_EqualContiguous()
    {
        F.AttentionBlockSize = 2;
        var (q, k, v) = Qkv();
        // Build (B, T, H, D) copies and transpose them back: same values, non-contiguous layout.
        var qt = q.transpose(1, 2).contiguous().transpose(1, 2);
        var kt = k.transpose(1, 2).contiguous().transpose(1, 2);
        var vt = v.transpose(1, 2).contiguous().transpose(1, 2);
        Assert.False(qt.is_contiguous());
        AssertClose(F.scaled_dot_product_attention(q, k, v, is_causal: true), F.scaled_dot_product_attention(qt, kt, vt, is_causal: true), 1e-14);
    }

    [Fact]
    public void Sdpa_CausalDecodingAgainstKvCache_EqualsLastRowsOfFullPass()
    {
        F.AttentionBlockSize = 3;
        var g = new Generator(31);
        var q = torch.randn([2, 4, 7, 5], ScalarType.Float64, g);
        var k = torch.randn([2, 2, 7, 5], ScalarType.Float64, g);
        var v = torch.randn([2, 2, 7, 5], ScalarType.Float64, g);
        var full = F.scaled_dot_product_attention(q, k, v, is_causal: true);
        // The last two tokens decoded against a cache holding all seven keys (S = 7 > T = 2).
        var tail = F.scaled_dot_product_attention(q.narrow(2, 5, 2), k, v, is_causal: true);
        AssertClose(full.narrow(2, 5, 2), tail, 1e-12);
    }

    [Fact]
    public void Sdpa_ExplicitScaleAndValueDim_EqualsScaledQueries()
    {
        F.AttentionBlockSize = 2;
        var g = new Generator(32);
        var q = torch.randn([1, 2, 3, 4], ScalarType.Float64, g);
        var k = torch.randn([1, 2, 5, 4], ScalarType.Float64, g);
        var v = torch.randn([1, 2, 5, 6], ScalarType.Float64, g);
        var a = F.scaled_dot_product_attention(q, k, v, scale: 0.7);
        var b = F.scaled_dot_product_attention(q * (0.7 * 2.0), k, v); // default scale is 1/sqrt(4) = 0.5
        Assert.Equal(new long[] { 1, 2, 3, 6 }, a.shape);
        AssertClose(b, a, 1e-12);
    }

    [Fact]
    public void Sdpa_ThreeDimInputs_AreOneBatch()
    {
        F.AttentionBlockSize = 64;
        var (q, k, v) = Qkv();
        AssertClose(CausalGolden, F.scaled_dot_product_attention(q[0], k[0], v[0], is_causal: true), 1e-9);
    }

    [Theory]
    [InlineData(true, 2)]
    [InlineData(false, 2)]
    [InlineData(true, 64)]
    public void Sdpa_GqaTransposedInputs_GradientsMatchFiniteDifferences(bool causal, int block)
    {
        F.AttentionBlockSize = block;
        var g = new Generator(41);
        // Leaves are (B, T, H, D); attention sees (B, H, T, D) views. Hq = 4, Hkv = 2, T = 5, S = 7, D = 3, Dv = 2.
        GradCheck.Check(t => F.scaled_dot_product_attention(t[0].transpose(1, 2), t[1].transpose(1, 2), t[2].transpose(1, 2), is_causal: causal),
            [GradCheck.Input(g, 2, 5, 4, 3), GradCheck.Input(g, 2, 7, 2, 3), GradCheck.Input(g, 2, 7, 2, 2)]);
    }

    [Fact]
    public void Sdpa_SquareCausalOddBlocks_GradientsMatchFiniteDifferences()
    {
        F.AttentionBlockSize = 3;
        var g = new Generator(42);
        GradCheck.Check(t => F.scaled_dot_product_attention(t[0], t[1], t[2], is_causal: true, scale: 0.9),
            [GradCheck.Input(g, 1, 2, 5, 3), GradCheck.Input(g, 1, 2, 5, 3), GradCheck.Input(g, 1, 2, 5, 3)]);
        // Multi-query attention (Hkv = 1) with a single query row.
        GradCheck.Check(t => F.scaled_dot_product_attention(t[0], t[1], t[2], is_causal: true),
            [GradCheck.Input(g, 1, 3, 1, 4), GradCheck.Input(g, 1, 1, 4, 4), GradCheck.Input(g, 1, 1, 4, 4)]);
    }

    [Fact]
    public void Sdpa_Backward_IsBitwiseReproducibleAndBlockIndependent()
    {
        var g = new Generator(43);
        var q0 = torch.randn([2, 4, 37, 8], ScalarType.Float32, g);
        var k0 = torch.randn([2, 2, 41, 8], ScalarType.Float32, g);
        var v0 = torch.randn([2, 2, 41, 8], ScalarType.Float32, g);
        var dy = torch.randn([2, 4, 37, 8], ScalarType.Float32, g);
        float[][] Run(int block)
        {
            F.AttentionBlockSize = block;
            var q = q0.detach().requires_grad_();
            var k = k0.detach().requires_grad_();
            var v = v0.detach().requires_grad_();
            var y = F.scaled_dot_product_attention(q, k, v, is_causal: true);
            y.backward(dy);
            return [y.data<float>(), q.grad!.data<float>(), k.grad!.data<float>(), v.grad!.data<float>()];
        }
        var a = Run(8);
        var b = Run(8);
        var c = Run(64);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(a[i], b[i]);
            AssertClose(a[i].Select(x => (double)x).ToArray(), torch.tensor(c[i]), 1e-4);
        }
    }

    [Fact]
    public void Sdpa_HeadsNotAMultiple_FailsNamingHeadCounts()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            F.scaled_dot_product_attention(torch.zeros(1, 3, 4, 8), torch.zeros(1, 2, 4, 8), torch.zeros(1, 2, 4, 8)));
        Assert.Contains("query heads (3) must be a multiple of key/value heads (2)", ex.Message);
    }

    [Fact]
    public void Sdpa_CausalWithFewerKeysThanQueries_FailsExplainingAlignment()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            F.scaled_dot_product_attention(torch.zeros(1, 2, 5, 8), torch.zeros(1, 2, 3, 8), torch.zeros(1, 2, 3, 8), is_causal: true));
        Assert.Contains("S = 3", ex.Message);
        Assert.Contains("bottom-right", ex.Message);
    }

    [Fact]
    public void Sdpa_Dropout_IsNotSupported()
    {
        var x = torch.zeros(1, 1, 2, 4);
        Assert.Throws<NotSupportedException>(() => F.scaled_dot_product_attention(x, x, x, dropout_p: 0.1));
    }

    [Fact]
    public void Sdpa_MismatchedHeadDims_FailsNamingShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            F.scaled_dot_product_attention(torch.zeros(1, 2, 4, 8), torch.zeros(1, 2, 4, 6), torch.zeros(1, 2, 4, 6)));
        Assert.Contains("key [1, 2, 4, 6]", ex.Message);
    }
}
