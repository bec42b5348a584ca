// Tests for the MoE dispatch bookkeeping ops (cumsum, bincount, repeat_interleave, one_hot, nonzero)
// and an end-to-end top-2 dispatch/combine that must equal a naive per-token loop.
namespace PluginMoE.Tensors.Tests.Ops;

public class DispatchTests
{
    [Fact]
    public void Cumsum_Int64_MatchesPyTorch()
    {
        // torch.cumsum(torch.tensor([[1, 2, 3], [4, 5, 6]]), 0) -> [[1, 2, 3], [5, 7, 9]], int64
        var a = torch.tensor(new long[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        Assert.Equal(new long[] { 1, 2, 3, 5, 7, 9 }, a.cumsum(0).data<long>());
        Assert.Equal(new long[] { 1, 3, 6, 4, 9, 15 }, a.cumsum(-1).data<long>());
        var i32 = torch.tensor(new int[] { 1, 2, 3 }).cumsum(0);
        Assert.Equal(ScalarType.Int64, i32.dtype);
        Assert.Equal(new long[] { 1, 3, 6 }, i32.data<long>());
    }

    [Fact]
    public void Cumsum_Gradient_MatchesFiniteDifferences_NonContiguous()
    {
        var x = GradCheck.Input(new Generator(51), 3, 4);
        GradCheck.Check(a => a[0].t().cumsum(1), [x]);
        GradCheck.Check(a => a[0].cumsum(0).cumsum(1), [x]);
    }

    [Fact]
    public void Bincount_CountsWeightsAndMinlength_MatchPyTorch()
    {
        // torch.bincount(torch.tensor([0, 1, 1, 3]), minlength=6) -> [1, 2, 0, 1, 0, 0]
        var x = torch.tensor(new long[] { 0, 1, 1, 3 });
        Assert.Equal(new long[] { 1, 2, 0, 1, 0, 0 }, x.bincount(minlength: 6).data<long>());
        Assert.Equal(new long[] { 1, 2, 0, 1 }, torch.bincount(x).data<long>());
        // weights=torch.tensor([1., 2., 3., 4.]) -> float32 [1, 5, 0, 4]
        var w = x.bincount(torch.tensor(new float[] { 1, 2, 3, 4 }));
        Assert.Equal(ScalarType.Float32, w.dtype);
        Assert.Equal(new float[] { 1, 5, 0, 4 }, w.data<float>());
        Assert.Throws<ArgumentException>(() => torch.tensor(new long[] { 1, -2 }).bincount());
        Assert.Throws<ArgumentException>(() => torch.zeros(3).bincount());
    }

    [Fact]
    public void RepeatInterleave_ScalarTensorAndIndexForms_MatchPyTorch()
    {
        // torch.repeat_interleave(torch.tensor([2, 0, 1])) -> [0, 0, 2]
        Assert.Equal(new long[] { 0, 0, 2 }, torch.repeat_interleave(torch.tensor(new long[] { 2, 0, 1 })).data<long>());
        var a = torch.tensor(new float[] { 1, 2, 3, 4 }, [2, 2]);
        Assert.Equal(new float[] { 1, 1, 2, 2, 3, 3, 4, 4 }, a.repeat_interleave(2).data<float>());
        var r = a.repeat_interleave(torch.tensor(new long[] { 1, 2 }), dim: 0);
        Assert.Equal(new float[] { 1, 2, 3, 4, 3, 4 }, r.data<float>());
        Assert.Throws<ArgumentException>(() => a.repeat_interleave(torch.tensor(new long[] { 1, 2, 3 }), dim: 0));
    }

    [Fact]
    public void RepeatInterleave_Gradient_MatchesFiniteDifferences()
    {
        var x = GradCheck.Input(new Generator(52), 3, 2);
        GradCheck.Check(a => a[0].t().repeat_interleave(torch.tensor(new long[] { 2, 0, 3 }), dim: 1), [x]);
    }

    [Fact]
    public void OneHot_MatchesPyTorch()
    {
        // torch.nn.functional.one_hot(torch.tensor([0, 2]), -1) -> [[1, 0, 0], [0, 0, 1]]
        var r = torch.nn.functional.one_hot(torch.tensor(new long[] { 0, 2 }));
        Assert.Equal(new long[] { 2, 3 }, r.shape);
        Assert.Equal(new long[] { 1, 0, 0, 0, 0, 1 }, r.data<long>());
        Assert.Equal(new long[] { 2, 4 }, torch.nn.functional.one_hot(torch.tensor(new long[] { 0, 2 }), 4).shape);
        Assert.Throws<IndexOutOfRangeException>(() => torch.nn.functional.one_hot(torch.tensor(new long[] { 0, 4 }), 4));
    }

    [Fact]
    public void Nonzero_MatchesPyTorch()
    {
        // torch.nonzero(torch.tensor([[0, 1, 0], [2, 0, 3]])) -> [[0, 1], [1, 0], [1, 2]]
        var r = torch.tensor(new long[] { 0, 1, 0, 2, 0, 3 }, [2, 3]).nonzero();
        Assert.Equal(new long[] { 3, 2 }, r.shape);
        Assert.Equal(new long[] { 0, 1, 1, 0, 1, 2 }, r.data<long>());
    }

    [Fact]
    public void MoeDispatch_Top2_StableArgsortIndexSelectIndexAdd_EqualsNaiveLoop()
    {
        const int N = 64, E = 8, D = 16, K = 2;
        var gen = new Generator(77);
        var x = torch.randn([N, D], ScalarType.Float64, gen);
        var logits = torch.randn([N, E], ScalarType.Float64, gen);
        var scale = torch.randn([E, D], ScalarType.Float64, gen);   // expert e: y = x * scale[e] + bias[e]
        var bias = torch.randn([E, D], ScalarType.Float64, gen);

        var (weights, experts) = logits.topk(K);                     // (N, K)
        var flatExpert = experts.reshape(-1);                        // (N*K) slot s = token*K + j
        var order = flatExpert.argsort();                            // stable: slots grouped by expert, token order kept
        var counts = flatExpert.bincount(minlength: E);              // (E)
        var ends = counts.cumsum(0);                                 // (E) exclusive end offsets
        var slotToken = torch.arange(N).repeat_interleave(K).index_select(0, order);
        var xs = x.index_select(0, slotToken);                       // (N*K, D) in expert order

        var c = counts.data<long>();
        var end = ends.data<long>();
        Assert.Equal(N * K, end[E - 1]);
        var outputs = new List<Tensor>();
        for (int e = 0; e < E; e++)
        {
            long start = end[e] - c[e];
            var sortedExperts = flatExpert.index_select(0, order).narrow(0, start, c[e]).data<long>();
            Assert.All(sortedExperts, id => Assert.Equal(e, id));
            var tokens = slotToken.narrow(0, start, c[e]).data<long>();
            for (int t = 1; t < tokens.Length; t++) Assert.True(tokens[t - 1] < tokens[t]); // stable order
            outputs.Add(xs.narrow(0, start, c[e]) * scale[e] + bias[e]);
        }
        var ys = torch.cat([.. outputs]);                            // (N*K, D)
        var w = weights.reshape(-1).index_select(0, order).unsqueeze(1);
        var combined = torch.zeros([N, D], ScalarType.Float64).index_add(0, slotToken, ys * w);

        var expected = new double[N * D];
        var xd = x.data<double>();
        var sd = scale.data<double>();
        var bd = bias.data<double>();
        var wd = weights.data<double>();
        var ed = experts.data<long>();
        for (int n = 0; n < N; n++)
            for (int j = 0; j < K; j++)
            {
                long e = ed[n * K + j];
                for (int d = 0; d < D; d++)
                    expected[n * D + d] += wd[n * K + j] * (xd[n * D + d] * sd[e * D + d] + bd[e * D + d]);
            }
        var got = combined.data<double>();
        for (int i = 0; i < got.Length; i++) Assert.Equal(expected[i], got[i], 12);
    }
}
