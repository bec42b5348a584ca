// Rotary position embedding: HF Llama rotate-half golden values (FusedReference.py, PyTorch 1.13), KV-cache
// offsets, per-batch positions, finite differences and errors.
using PluginMoE.Tensors.Backends;
using static PluginMoE.Tensors.Tests.Ops.FusedInputs;
using F = PluginMoE.Tensors.torch.nn.functional;

namespace PluginMoE.Tensors.Tests.Ops;

public class RotaryTests
{
    // FusedReference.py: x = seq((1, 2, 4, 6), 0.31, 0.5); rope(x, [3, 4, 5, 6]) with HF's
    // inv_freq = 1 / theta^(arange(0, d, 2) / d), emb = cat(freqs, freqs), x * emb.cos() + rotate_half(x) * emb.sin()
    private static readonly double[] Offset3Golden = [-0.6143512494, 0.5804606307, 0.8943463888, -0.9125395497, 1.076707791, 0.8931614166, -0.5723368224, 0.5281866707, 0.1668735172, -0.4364500049, -0.3510510295, -0.6935786729, -1.118526447, -0.7883843491, -0.9865226626, 0.5880781041, -0.9398419013, -0.5016106158, -0.008083343804, -0.1341344643, 0.3922127356, 0.6944093848, 0.8569299422, 0.9801725356, -1.060667808, 0.8800375884, 0.7613565754, -0.3808848326, 0.3680509321, -0.06025622135, -0.4907237158, -0.4375522713, -0.8307666854, 0.9080804569, -1.098666643, -0.9450402844, -0.2006623365, -0.6219054505, -0.2889204084, 0.7616354358, 0.1895160026, 0.597025015, 1.048893522, 0.6931782964, 0.9922140763, 0.6856996131, 1.042975902, 0.6084369884];

    // rope(x, [0, 1, 2, 3], 500000.0)
    private static readonly double[] Theta500kGolden = [0.4794255386, 0.7242871744, 0.9001004422, 0.9901045603, 0.9857191788, 0.8873623686, 0.5050173315, 0.4598448728, 0.1610006359, 0.512850407, -0.4367615796, -0.6949654247, 1.190322376, -0.9646245601, -0.9917128389, -0.4243464493, -0.7578602374, -0.4912695989, 0.1059975077, 0.07400756891, 0.40438555, -0.686319359, 0.8642012845, 0.9752134927, 0.9963027009, 0.9226042102, 0.7609512213, 0.526754576, 0.2423409103, -0.06517580757, 0.613961118, -0.6202082727, -0.8387309622, -0.8297419039, -1.006907185, -0.9379791031, 0.3061362063, -0.5697159642, -0.2826630193, -0.725695896, 0.3132194513, 0.6000129069, -0.941630782, 0.9218201554, 0.9997122555, -0.8268573342, 0.8476688522, 0.5960367005];

    private static Tensor X(ScalarType t = ScalarType.Float64) => Seq([1, 2, 4, 6], 0.31, 0.5, 1.0, t);

    [Theory]
    [InlineData(ScalarType.Float64, 1e-9)]
    [InlineData(ScalarType.Float32, 1e-6)]
    public void ApplyRotaryEmb_WithCacheAndOffset_MatchesHfLlama(ScalarType dtype, double tol)
    {
        var (cos, sin) = F.rope_cache(headDim: 6, maxPositions: 16, dtype: dtype);
        Assert.Equal(new long[] { 16, 3 }, cos.shape);
        AssertClose(Offset3Golden, F.apply_rotary_emb(X(dtype), cos, sin, positionOffset: 3), tol);
    }

    [Fact]
    public void RotaryEmbedding_ExplicitPositionsAndTheta_MatchHfLlama()
    {
        AssertClose(Offset3Golden, F.rotary_embedding(X(), [3, 4, 5, 6]), 1e-9);
        AssertClose(Theta500kGolden, F.rotary_embedding(X(), theta: 500000.0), 1e-9);
    }

    [Fact]
    public void ApplyRotaryEmb_DecodingOneTokenAtATime_EqualsWholePrompt()
    {
        var (cos, sin) = F.rope_cache(6, 8, dtype: ScalarType.Float64);
        var x = X();
        var whole = F.apply_rotary_emb(x, cos, sin);
        for (int t = 0; t < 4; t++)
            AssertClose(whole.narrow(2, t, 1), F.apply_rotary_emb(x.narrow(2, t, 1), cos, sin, positionOffset: t), 1e-15);
    }

    [Fact]
    public void ApplyRotaryEmb_PerBatchPositions_RotatesEachRowByItsOwnPositions()
    {
        var (cos, sin) = F.rope_cache(6, 8, dtype: ScalarType.Float64);
        var x0 = X();
        var x1 = Seq([1, 2, 4, 6], 0.17, -0.3);
        var x = torch.tensor(x0.data<double>().Concat(x1.data<double>()).ToArray(), [2, 2, 4, 6]);
        var pos = torch.tensor(new long[] { 3, 4, 5, 6, 0, 1, 2, 3 }, [2, 4]);
        var y = F.apply_rotary_emb(x, cos, sin, pos);
        AssertClose(Offset3Golden, y[0], 1e-9);
        AssertClose(F.apply_rotary_emb(x1, cos, sin, 0), y.narrow(0, 1, 1), 1e-15);
    }

    [Fact]
    public void ApplyRotaryEmb_PreservesPairNorms()
    {
        var (cos, sin) = F.rope_cache(8, 32, dtype: ScalarType.Float64);
        var x = torch.randn([2, 3, 5, 8], ScalarType.Float64, new Generator(3));
        var y = F.apply_rotary_emb(x, cos, sin, 20);
        var a = x.data<double>();
        var r = y.data<double>();
        for (int row = 0; row < a.Length / 8; row++)
            for (int i = 0; i < 4; i++)
            {
                int p = row * 8 + i, q = p + 4;
                Assert.Equal(a[p] * a[p] + a[q] * a[q], r[p] * r[p] + r[q] * r[q], 12);
            }
    }

    [Fact]
    public void ApplyRotaryEmb_Gradient_MatchesFiniteDifferences()
    {
        var g = new Generator(21);
        var (cos, sin) = F.rope_cache(4, 12, dtype: ScalarType.Float64);
        // (B, T, H, D) leaf transposed to a non-contiguous (B, H, T, D), as attention code produces q/k.
        GradCheck.Check(t => F.apply_rotary_emb(t[0].transpose(1, 2), cos, sin, positionOffset: 5), [GradCheck.Input(g, 2, 3, 2, 4)]);
        var pos = torch.tensor(new long[] { 7, 2, 0, 11, 4, 4 }, [2, 3]);
        GradCheck.Check(t => F.apply_rotary_emb(t[0].transpose(1, 2), cos, sin, pos), [GradCheck.Input(g, 2, 3, 2, 4)]);
    }

    [Fact]
    public void ApplyRotaryEmb_PastTheCache_FailsNamingTheLimit()
    {
        var (cos, sin) = F.rope_cache(6, 5, dtype: ScalarType.Float64);
        var ex = Assert.Throws<ArgumentException>(() => F.apply_rotary_emb(X(), cos, sin, positionOffset: 3));
        Assert.Contains("position 5", ex.Message);
        Assert.Contains("5 positions", ex.Message);
    }

    [Fact]
    public void ApplyRotaryEmb_OddHeadDimOrWrongCache_Fails()
    {
        var (cos, sin) = F.rope_cache(4, 5);
        Assert.Contains("even head dim", Assert.Throws<ArgumentException>(() => F.apply_rotary_emb(torch.zeros(1, 1, 2, 5), cos, sin)).Message);
        var ex = Assert.Throws<ArgumentException>(() => F.apply_rotary_emb(torch.zeros(1, 1, 2, 6), cos, sin));
        Assert.Contains("(P, 3)", ex.Message);
        Assert.Contains("rope_cache(headDim: 6", ex.Message);
    }

    [Theory]
    [InlineData(6, ScalarType.Float64)]  // half = 3: the scalar loop only
    [InlineData(34, ScalarType.Float32)] // half = 17: vectors and a scalar tail
    [InlineData(64, ScalarType.Float32)] // half = 32: whole vectors
    public void ApplyRotaryEmb_StridedHeadViews_EqualTheContiguousCopy(int d, ScalarType dtype)
    {
        // The inference layout of attention: one (B, T, H + 2Hkv, D) projection, heads transposed and narrowed out of it.
        var (cos, sin) = F.rope_cache(d, 16, dtype: dtype);
        var qkv = torch.randn([2, 5, 7, d], dtype, new Generator(8)).transpose(1, 2); // (B, 7 heads, T, D), strided
        foreach (var view in new[] { qkv.narrow(1, 0, 4), qkv.narrow(1, 4, 2), qkv.narrow(1, 6, 1) })
        {
            Assert.False(view.is_contiguous());
            var expected = F.apply_rotary_emb(view.contiguous(), cos, sin, positionOffset: 3).to(ScalarType.Float64).contiguous().data<double>();
            var got = F.apply_rotary_emb(view, cos, sin, positionOffset: 3);
            Assert.Equal(view.shape, got.shape);
            Assert.Equal(expected, got.to(ScalarType.Float64).contiguous().data<double>()); // bit for bit: the same arithmetic per element
            var pos = torch.tensor(new long[] { 0, 9, 2, 15, 4, 1, 1, 7, 3, 12 }, [2, 5]);
            Assert.Equal(F.apply_rotary_emb(view.contiguous(), cos, sin, pos).to(ScalarType.Float64).contiguous().data<double>(),
                F.apply_rotary_emb(view, cos, sin, pos).to(ScalarType.Float64).contiguous().data<double>());
        }
    }

    [Fact]
    public void ApplyRotaryEmb_ManyChunks_StridedViews_AreBitwiseTheSameForEveryThreadCount()
    {
        // 2 x 3 heads x 701 rows of D = 8 (minimum chunk 1024 rows): chunks begin and end inside a head's sequence and
        // cross from one head (and batch) to the next; each row must get its own head offset and positions row.
        var (cos, sin) = F.rope_cache(8, 1024, dtype: ScalarType.Float32);
        var qkv = torch.randn([2, 701, 5, 8], ScalarType.Float32, new Generator(11)).transpose(1, 2); // (B, 5 heads, T, D)
        var view = qkv.narrow(1, 1, 3);
        var pos = torch.randint(0, 1024, [2, 701], generator: new Generator(12));
        var expected = F.apply_rotary_emb(view.contiguous(), cos, sin, pos).data<float>();
        foreach (int threads in new[] { 1, 2, 3, 5 })
        {
            using var _ = ParallelFor.WithThreads(threads);
            Assert.Equal(expected, F.apply_rotary_emb(view, cos, sin, pos).data<float>());
            Assert.Equal(F.apply_rotary_emb(view.contiguous(), cos, sin, positionOffset: 2).data<float>(),
                F.apply_rotary_emb(view, cos, sin, positionOffset: 2).data<float>());
        }
    }

    [Fact]
    public void RotaryKernel_RowsNotContiguous_FailsNamingTheStride()
    {
        var (cos, sin) = F.rope_cache(4, 8);
        var x = torch.zeros(1, 2, 4, 2).transpose(2, 3); // (1, 2, 2, 4) with last-dim stride 2
        var ex = Assert.Throws<ArgumentException>(() => x.backend.RotaryApply(x, cos, sin, torch.arange(0, 2), inverse: false));
        Assert.Contains("last-dim stride 1", ex.Message);
    }
}
