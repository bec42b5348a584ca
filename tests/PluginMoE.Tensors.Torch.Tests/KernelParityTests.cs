// Every IBackend kernel of the LibTorch backend (torch-cpu) against the CPU backend on random inputs:
// float32 and float64, contiguous, strided and broadcast operands. Tolerances: TorchTestSupport.Tol
// (float32 1e-4 rel + 1e-5 abs, float64 1e-10 rel + 1e-12 abs) unless a test states a looser one.
using PluginMoE.Tensors.Backends;
using static PluginMoE.Tensors.Torch.Tests.TorchTestSupport;

namespace PluginMoE.Tensors.Torch.Tests;

public class KernelParityTests
{
    public static TheoryData<ScalarType, Layout> TypesAndLayouts()
    {
        var d = new TheoryData<ScalarType, Layout>();
        foreach (var t in new[] { ScalarType.Float32, ScalarType.Float64 })
            foreach (var l in Enum.GetValues<Layout>()) d.Add(t, l);
        return d;
    }

    public static TheoryData<ScalarType> Types() => new() { ScalarType.Float32, ScalarType.Float64 };

    private static Generator G(int salt) => new(1000 + salt);

    [Theory, MemberData(nameof(TypesAndLayouts))]
    public void BinaryAndSumAndCompare(ScalarType t, Layout l)
    {
        var g = G(1);
        var (a, da) = Pair(g, t, l, [3, 4, 5]);
        var (b, db) = Pair(g, t, Layout.Contiguous, [4, 1], x => x.abs().add(0.5));
        foreach (var op in Enum.GetValues<BinaryOp>())
        {
            var (x, dx) = op == BinaryOp.Pow ? Pair(G(2), t, l, [3, 4, 5], v => v.abs().add(0.1)) : (a, da);
            Close(Cpu.Binary(op, x, b), Tb.Binary(op, dx, db), t, op.ToString());
        }
        Close(Cpu.Sum(a, [0, 2], false), Tb.Sum(da, [0, 2], false), t, "sum");
        Close(Cpu.Sum(a, [1], true), Tb.Sum(da, [1], true), t, "sum keepdim");
        Close(Cpu.Sum(a, [], false), Tb.Sum(da, [], false), t, "sum all");
        foreach (var op in Enum.GetValues<CompareOp>())
            Close(Cpu.Compare(op, a, b), Tb.Compare(op, da, db), t, op.ToString());
    }

    [Fact]
    public void IntegerBinaryTruncatesLikeTheCpuBackend()
    {
        var (a, da) = Same(torch.tensor(new long[] { -7, 7, 9, -9 }));
        var (b, db) = Same(torch.tensor(new long[] { 2, -2, 4, 4 }));
        foreach (var op in Enum.GetValues<BinaryOp>().Where(o => o != BinaryOp.Pow))
            Close(Cpu.Binary(op, a, b), Tb.Binary(op, da, db), 0, 0, op.ToString());
        Close(Cpu.Sum(a, [], false), Tb.Sum(da, [], false), 0, 0, "sum int64");
    }

    [Theory, MemberData(nameof(TypesAndLayouts))]
    public void LogicWhereAndFiniteness(ScalarType t, Layout l)
    {
        var (a, da) = Pair(G(3), t, l, [4, 6]);
        var (b, db) = Pair(G(4), t, Layout.Broadcast, [4, 6]);
        var m1 = Cpu.Compare(CompareOp.Gt, a, b); var d1 = Tb.Compare(CompareOp.Gt, da, db);
        var zero = torch.scalar_tensor(0, t);
        var m2 = Cpu.Compare(CompareOp.Lt, a, zero); var d2 = Tb.Compare(CompareOp.Lt, da, zero);
        foreach (var op in Enum.GetValues<LogicalOp>()) Close(Cpu.Logical(op, m1, m2), Tb.Logical(op, d1, d2), 0, 0, op.ToString());
        Close(Cpu.LogicalNot(m1), Tb.LogicalNot(d1), 0, 0, "not");
        Close(Cpu.Where(m1, a, b), Tb.Where(d1, da, db), t, "where");
        var special = torch.tensor(new double[] { 1, double.NaN, double.PositiveInfinity, -2, double.NegativeInfinity, 0 }).to(t);
        var (s, ds) = Same(special);
        Close(Cpu.IsFinite(s), Tb.IsFinite(ds), 0, 0, "isfinite");
        Close(Cpu.IsNan(s), Tb.IsNan(ds), 0, 0, "isnan");
        foreach (var all in new[] { false, true })
        {
            Close(Cpu.AnyAll(m1, [1], false, all), Tb.AnyAll(d1, [1], false, all), 0, 0, "anyall dim");
            Close(Cpu.AnyAll(m1, [0, 1], true, all), Tb.AnyAll(d1, [0, 1], true, all), 0, 0, "anyall keepdim");
            Close(Cpu.AnyAll(a, [], false, all), Tb.AnyAll(da, [], false, all), 0, 0, "anyall float");
        }
    }

    [Theory, MemberData(nameof(TypesAndLayouts))]
    public void CopyConvertFill(ScalarType t, Layout l)
    {
        var (a, da) = Pair(G(5), t, l, [3, 5]);
        Close(Cpu.Contiguous(a), Tb.Contiguous(da), 0, 0, "contiguous");
        Assert.True(Tb.Contiguous(da).is_contiguous());
        foreach (var to in new[] { ScalarType.Float32, ScalarType.Float64, ScalarType.Int64, ScalarType.Int32, ScalarType.Bool })
            Close(Cpu.Convert(a.mul(3.0), to), Tb.Convert(da.mul(3.0), to), t, $"convert {to}");
        var (dst, ddst) = Pair(G(6), t, Layout.Strided, [3, 5]);
        var (src, dsrc) = Pair(G(7), t, Layout.Contiguous, [1, 5]);
        Cpu.CopyInto(dst, src); Tb.CopyInto(ddst, dsrc);
        Close(dst, ddst, 0, 0, "copy_into broadcast into strided");
        Cpu.Fill(dst, 2.5); Tb.Fill(ddst, 2.5);
        Close(dst, ddst, 0, 0, "fill");
    }

    [Theory, MemberData(nameof(TypesAndLayouts))]
    public void UnaryAndGradients(ScalarType t, Layout l)
    {
        foreach (var op in Enum.GetValues<UnaryOp>())
        {
            bool positive = op is UnaryOp.Log or UnaryOp.Sqrt or UnaryOp.Rsqrt or UnaryOp.Reciprocal or UnaryOp.Log1p;
            var (x, dx) = Pair(G(8), t, l, [4, 7], positive ? v => v.abs().add(0.2) : null);
            var (gr, dgr) = Pair(G(9), t, Layout.Contiguous, [4, 7]);
            var y = Cpu.Unary(op, x); var dy = Tb.Unary(op, dx);
            Close(y, dy, t, op.ToString());
            Close(Cpu.UnaryBackward(op, gr, x.contiguous(), y), Tb.UnaryBackward(op, dgr, dx.contiguous(), dy), t, op + " backward");
        }
        var (p, dp) = Pair(G(10), t, l, [4, 7], v => v.abs().add(0.1));
        Close(Cpu.PowScalar(p, 2.5), Tb.PowScalar(dp, 2.5), t, "pow scalar");
        var (s, ds) = Pair(G(11), t, l, [4, 7], v => v.mul(8.0));
        var (g2, dg2) = Pair(G(12), t, Layout.Contiguous, [4, 7]);
        Close(Cpu.Softplus(s, 2, 5), Tb.Softplus(ds, 2, 5), t, "softplus");
        Close(Cpu.SoftplusBackward(g2, s.contiguous(), 2, 5), Tb.SoftplusBackward(dg2, ds.contiguous(), 2, 5), t, "softplus backward");
        Close(Cpu.Clamp(s, -1, 2), Tb.Clamp(ds, -1, 2), t, "clamp");
        Close(Cpu.Clamp(s, null, 2), Tb.Clamp(ds, null, 2), t, "clamp max");
        Close(Cpu.Clamp(s, -1, null), Tb.Clamp(ds, -1, null), t, "clamp min");
    }

    [Theory, MemberData(nameof(TypesAndLayouts))]
    public void ReductionsSoftmaxSorting(ScalarType t, Layout l)
    {
        var (x, dx) = Pair(G(13), t, l, [3, 4, 6]);
        foreach (var max in new[] { true, false })
        {
            var (v, i) = Cpu.MaxMinDim(x, 2, false, max); var (dv, di) = Tb.MaxMinDim(dx, 2, false, max);
            Close(v, dv, 0, 0, "maxmin values"); Close(i, di, 0, 0, "maxmin indices");
            var (g, dg) = Pair(G(14), t, Layout.Contiguous, [3, 4]);
            Close(Cpu.MaxMinDimBackward(g, i, [3, 4, 6], 2, false), Tb.MaxMinDimBackward(dg, di, [3, 4, 6], 2, false), 0, 0, "maxmin backward");
            Close(Cpu.AMaxMin(x, [0, 2], true, max), Tb.AMaxMin(dx, [0, 2], true, max), 0, 0, "amaxmin");
        }
        Close(Cpu.LogSumExp(x, [1], false), Tb.LogSumExp(dx, [1], false), t, "logsumexp");
        Close(Cpu.LogSumExp(x, [], true), Tb.LogSumExp(dx, [], true), t, "logsumexp all");
        foreach (var log in new[] { false, true })
        {
            var y = Cpu.Softmax(x, 2, log); var dy = Tb.Softmax(dx, 2, log);
            Close(y, dy, t, "softmax");
            var (g, dg) = Pair(G(15), t, Layout.Contiguous, [3, 4, 6]);
            Close(Cpu.SoftmaxBackward(g, y, 2, log), Tb.SoftmaxBackward(dg, dy, 2, log), t, "softmax backward");
        }
        // Rounded values create ties: both must keep equal keys in input order.
        var (r, dr) = Pair(G(16), t, l, [3, 4, 6], v => v.mul(2.0).to(ScalarType.Int64).to(ScalarType.Float64));
        foreach (var desc in new[] { false, true })
        {
            var (sv, si) = Cpu.Sort(r, 2, desc); var (dsv, dsi) = Tb.Sort(dr, 2, desc);
            Close(sv, dsv, 0, 0, "sort values"); Close(si, dsi, 0, 0, "sort indices");
            var (tv, ti) = Cpu.TopK(r, 3, 1, desc); var (dtv, dti) = Tb.TopK(dr, 3, 1, desc);
            Close(tv, dtv, 0, 0, "topk values"); Close(ti, dti, 0, 0, "topk indices");
        }
    }

    [Theory, MemberData(nameof(TypesAndLayouts))]
    public void IndexingJoinDispatch(ScalarType t, Layout l)
    {
        var (x, dx) = Pair(G(17), t, l, [5, 4]);
        var idx = torch.randint(0, 5, [3, 4], generator: G(18));
        var (ci, di) = Same(idx);
        Close(Cpu.Gather(x, 0, ci), Tb.Gather(dx, 0, di), 0, 0, "gather");
        foreach (var acc in new[] { true, false })
        {
            // Distinct indices per column for plain scatter (duplicates would be order-dependent by contract only).
            var sidx = acc ? idx : torch.randperm(5, G(19)).narrow(0, 0, 3).unsqueeze(1).expand([3, 4]).contiguous();
            var (cs, ds) = Same(sidx);
            var (dst, ddst) = Pair(G(20), t, Layout.Contiguous, [5, 4]);
            var (src, dsrc) = Pair(G(21), t, Layout.Contiguous, [3, 4]);
            Cpu.ScatterInto(dst, 0, cs, src, acc); Tb.ScatterInto(ddst, 0, ds, dsrc, acc);
            Close(dst, ddst, t, acc ? "scatter_add" : "scatter");
        }
        var rows = torch.tensor(new long[] { 4, 0, 4, 2 });
        var (cr, dr) = Same(rows);
        Close(Cpu.IndexSelect(x, 0, cr), Tb.IndexSelect(dx, 0, dr), 0, 0, "index_select");
        var (acc2, dacc2) = Pair(G(22), t, Layout.Contiguous, [5, 4]);
        var (srcr, dsrcr) = Pair(G(23), t, Layout.Contiguous, [4, 4]);
        Cpu.IndexAddInto(acc2, 0, cr, srcr, 0.5); Tb.IndexAddInto(dacc2, 0, dr, dsrcr, 0.5);
        Close(acc2, dacc2, t, "index_add");
        // The weighted row scatter-add (the LibTorch backend runs IBackend's composite default) and its backward.
        var (base5, dbase5) = Pair(G(40), t, Layout.Contiguous, [5, 4]);
        var (wr, dwr) = Pair(G(41), t, Layout.Contiguous, [4]);
        Close(Cpu.IndexAddRows(base5, 5, cr, srcr, wr), Tb.IndexAddRows(dbase5, 5, dr, dsrcr, dwr), t, "index_add_rows");
        Close(Cpu.IndexAddRows(null, 6, cr, x.narrow(0, 0, 4), null), Tb.IndexAddRows(null, 6, dr, dx.narrow(0, 0, 4), null), t, "index_add_rows unweighted");
        var (cgs, cgw) = Cpu.IndexAddRowsBackward(base5, cr, srcr, wr, true, true);
        var (tgs, tgw) = Tb.IndexAddRowsBackward(dbase5, dr, dsrcr, dwr, true, true);
        Close(cgs!, tgs!, t, "index_add_rows backward (source)");
        Close(cgw!, tgw!, t, "index_add_rows backward (weight)");
        var (y, dy) = Pair(G(24), t, Layout.Contiguous, [5, 2]);
        Close(Cpu.Cat([x, y], 1), Tb.Cat([dx, dy], 1), 0, 0, "cat");
        foreach (var rev in new[] { false, true })
            Close(Cpu.Cumsum(x, 0, rev), Tb.Cumsum(dx, 0, rev), t, "cumsum");
        Close(Cpu.Triangle(x, 0, false), Tb.Triangle(dx, 0, false), 0, 0, "tril");
        Close(Cpu.Triangle(x, 1, true), Tb.Triangle(dx, 1, true), 0, 0, "triu");
        Close(Cpu.Flip(x, [0, 1]), Tb.Flip(dx, [0, 1]), 0, 0, "flip");
        var ids = torch.tensor(new long[] { 3, 1, 1, 0, 3, 3 });
        var (cids, dids) = Same(ids);
        var (w, dw) = Pair(G(25), t, Layout.Contiguous, [6]);
        Close(Cpu.Bincount(cids, null, 6), Tb.Bincount(dids, null, 6), 0, 0, "bincount");
        Close(Cpu.Bincount(cids, w, 0), Tb.Bincount(dids, dw, 0), t, "bincount weighted");
        Close(Cpu.Cumsum(cids, 0, false), Tb.Cumsum(dids, 0, false), 0, 0, "cumsum int64");
        Close(Cpu.RepeatIndex(cids), Tb.RepeatIndex(dids), 0, 0, "repeat_index");
        Close(Cpu.OneHot(cids, 5), Tb.OneHot(dids, 5), 0, 0, "one_hot");
        var mask = Cpu.Compare(CompareOp.Gt, x, torch.scalar_tensor(0, t));
        Close(Cpu.Nonzero(mask), Tb.Nonzero(Tb.Compare(CompareOp.Gt, dx, torch.scalar_tensor(0, t))), 0, 0, "nonzero");
    }

    [Theory, MemberData(nameof(TypesAndLayouts))]
    public void GemmAndMatmul(ScalarType t, Layout l)
    {
        // Summation order differs between the two GEMMs: float32 gets 1e-4 absolute for K = 33.
        double rtol = t == ScalarType.Float64 ? 1e-10 : 1e-4, atol = t == ScalarType.Float64 ? 1e-11 : 1e-4;
        var (a, da) = Pair(G(26), t, l, [2, 5, 33]);
        var (b, db) = Pair(G(27), t, Layout.Strided, [2, 33, 7]);
        Close(Cpu.Matmul(a, b), Tb.Matmul(da, db), rtol, atol, "matmul");
        var (c, dc) = Pair(G(28), t, Layout.Contiguous, [2, 5, 7]);
        Cpu.Gemm(a, b, c, 0.5, 2.0); Tb.Gemm(da, db, dc, 0.5, 2.0);
        Close(c, dc, rtol, atol, "gemm alpha beta");
        Cpu.Fill(c, double.NaN); Tb.Fill(dc, double.NaN);
        Cpu.Gemm(a, b, c); Tb.Gemm(da, db, dc);
        Close(c, dc, rtol, atol, "gemm beta 0 ignores NaN in c");
    }

    [Theory, MemberData(nameof(Types))]
    public void Normalizations(ScalarType t)
    {
        var (x, dx) = Pair(G(29), t, Layout.Contiguous, [6, 8]);
        var (w, dw) = Pair(G(30), t, Layout.Contiguous, [8]);
        var (bias, dbias) = Pair(G(31), t, Layout.Contiguous, [8]);
        var (gy, dgy) = Pair(G(32), t, Layout.Contiguous, [6, 8]);
        var (y, rstd) = Cpu.RmsNormForward(x, w, 8, 1e-5); var (dyv, drstd) = Tb.RmsNormForward(dx, dw, 8, 1e-5);
        Close(y, dyv, t, "rmsnorm y"); Close(rstd, drstd, t, "rmsnorm rstd");
        var (gx, gw) = Cpu.RmsNormBackward(gy, x, w, rstd, 8, true); var (dgx, dgw) = Tb.RmsNormBackward(dgy, dx, dw, drstd, 8, true);
        Close(gx, dgx, t, "rmsnorm dx"); Close(gw!, dgw!, t, "rmsnorm dw");
        var (sa, ya, ra) = Cpu.AddRmsNormForward(x, gy, w, 8, 1e-5); var (dsa, dya, dra) = Tb.AddRmsNormForward(dx, dgy, dw, 8, 1e-5);
        Close(sa, dsa, t, "add_rms_norm sum"); Close(ya, dya, t, "add_rms_norm y"); Close(ra, dra, t, "add_rms_norm rstd");
        var (ly, mean, lr) = Cpu.LayerNormForward(x, w, bias, 8, 1e-5); var (dly, dmean, dlr) = Tb.LayerNormForward(dx, dw, dbias, 8, 1e-5);
        Close(ly, dly, t, "layernorm y"); Close(mean, dmean, t, "mean"); Close(lr, dlr, t, "rstd");
        var (lgx, lgw, lgb) = Cpu.LayerNormBackward(gy, x, w, mean, lr, 8, true, true);
        var (dlgx, dlgw, dlgb) = Tb.LayerNormBackward(dgy, dx, dw, dmean, dlr, 8, true, true);
        Close(lgx, dlgx, t, "layernorm dx"); Close(lgw!, dlgw!, t, "layernorm dw"); Close(lgb!, dlgb!, t, "layernorm db");
    }

    [Theory, MemberData(nameof(Types))]
    public void LossesWithIgnoreAndSmoothing(ScalarType t)
    {
        var (z, dz) = Pair(G(33), t, Layout.Contiguous, [5, 7], v => v.mul(3.0));
        var target = torch.tensor(new long[] { 2, -100, 6, 0, 3 });
        var (ct, dt) = Same(target);
        var (gl, dgl) = Pair(G(34), t, Layout.Contiguous, [5]);
        foreach (var eps in new[] { 0.0, 0.1 })
        {
            var (loss, lse) = Cpu.CrossEntropyForward(z, ct, -100, eps); var (dloss, dlse) = Tb.CrossEntropyForward(dz, dt, -100, eps);
            Close(loss, dloss, t, "ce loss"); Close(lse, dlse, t, "ce lse");
            Close(Cpu.CrossEntropyBackward(gl, z, ct, lse, -100, eps), Tb.CrossEntropyBackward(dgl, dz, dt, dlse, -100, eps), t, "ce backward");
        }
        var lp = Cpu.Softmax(z, 1, true); var dlp = Tb.Softmax(dz, 1, true);
        Close(Cpu.NllLossForward(lp, ct, -100), Tb.NllLossForward(dlp, dt, -100), t, "nll");
        Close(Cpu.NllLossBackward(gl, ct, 7, -100, t), Tb.NllLossBackward(dgl, dt, 7, -100, t), t, "nll backward");
        var bad = Same(torch.tensor(new long[] { 1, 9, 0, 0, 0 })).dev;
        var e = Assert.Throws<IndexOutOfRangeException>(() => Tb.CrossEntropyForward(dz, bad, -100, 0));
        Assert.Equal("cross_entropy: target 9 is out of bounds for 7 classes", e.Message);
    }

    [Theory, MemberData(nameof(Types))]
    public void OptimizerUpdatesAndNorms(ScalarType t)
    {
        var (p, dp) = Pair(G(35), t, Layout.Contiguous, [3, 4]);
        var (gr, dgr) = Pair(G(36), t, Layout.Contiguous, [3, 4]);
        var (m, dm) = Pair(G(37), t, Layout.Contiguous, [3, 4], v => v.mul(0.1));
        var (v2, dv2) = Pair(G(38), t, Layout.Contiguous, [3, 4], v => v.abs().mul(0.01));
        foreach (var maximize in new[] { false, true })
        {
            Cpu.AdamWStep(p, gr, m, v2, 1e-2, 0.9, 0.999, 1e-8, 0.1, 3, maximize);
            Tb.AdamWStep(dp, dgr, dm, dv2, 1e-2, 0.9, 0.999, 1e-8, 0.1, 3, maximize);
            Close(p, dp, t, "adamw p"); Close(m, dm, t, "adamw m"); Close(v2, dv2, t, "adamw v");
        }
        var (buf, dbuf) = Pair(G(39), t, Layout.Contiguous, [3, 4]);
        foreach (var (first, nesterov) in new[] { (true, false), (false, false), (false, true) })
        {
            Cpu.SgdStep(p, gr, buf, first, 0.1, 0.9, 0.1, 0.01, nesterov, false);
            Tb.SgdStep(dp, dgr, dbuf, first, 0.1, 0.9, 0.1, 0.01, nesterov, false);
            Close(p, dp, t, "sgd p"); Close(buf, dbuf, t, "sgd buf");
        }
        Cpu.SgdStep(p, gr, null, true, 0.1, 0, 0, 0, false, true); Tb.SgdStep(dp, dgr, null, true, 0.1, 0, 0, 0, false, true);
        Close(p, dp, t, "sgd plain maximize");
        foreach (var norm in new[] { 1.0, 2.0, 3.5, double.PositiveInfinity })
        {
            double c = Cpu.NormPowerSum(p, norm), d = Tb.NormPowerSum(dp, norm);
            Assert.True(Math.Abs(c - d) <= 1e-5 * Math.Abs(c), $"norm {norm}: {d} vs {c}");
        }
        Cpu.ScaleInPlace(p, 0.3); Tb.ScaleInPlace(dp, 0.3);
        Close(p, dp, t, "scale");
        Cpu.ClampInPlace(p, -0.1, 0.2); Tb.ClampInPlace(dp, -0.1, 0.2);
        Close(p, dp, t, "clamp in place");
        var (s, ds) = Pair(G(47), t, Layout.Strided, [3, 4]);
        Cpu.AddInPlace(p, s); Tb.AddInPlace(dp, ds);
        Close(p, dp, t, "add in place (strided source)");
    }

    [Theory, MemberData(nameof(Types))]
    public void RotaryDropoutAttention(ScalarType t)
    {
        var (x, dx) = Pair(G(40), t, Layout.Contiguous, [2, 3, 5, 8]);
        var (cos, dcos) = Pair(G(41), t, Layout.Contiguous, [9, 4]);
        var (sin, dsin) = Pair(G(42), t, Layout.Contiguous, [9, 4]);
        var (pos1, dpos1) = Same(torch.tensor(new long[] { 0, 2, 4, 6, 8 }));
        var (pos2, dpos2) = Same(torch.tensor(new long[] { 0, 1, 2, 3, 4, 4, 5, 6, 7, 8 }, [2, 5]));
        foreach (var inv in new[] { false, true })
        {
            Close(Cpu.RotaryApply(x, cos, sin, pos1, inv), Tb.RotaryApply(dx, dcos, dsin, dpos1, inv), t, "rotary shared positions");
            Close(Cpu.RotaryApply(x, cos, sin, pos2, inv), Tb.RotaryApply(dx, dcos, dsin, dpos2, inv), t, "rotary per-batch positions");
        }
        Close(Cpu.DropoutApply(x, 0.3, 77, 5), Tb.DropoutApply(dx, 0.3, 77, 5), t, "dropout");

        // Grouped-query attention: 4 query heads over 2 key/value heads; causal with S > T (bottom-right aligned).
        var (q, dq) = Pair(G(43), t, Layout.Contiguous, [2, 4, 3, 8]);
        var (k, dk) = Pair(G(44), t, Layout.Contiguous, [2, 2, 5, 8]);
        var (v, dv) = Pair(G(45), t, Layout.Contiguous, [2, 2, 5, 6]);
        var (go, dgo) = Pair(G(46), t, Layout.Contiguous, [2, 4, 3, 6]);
        foreach (var causal in new[] { false, true })
        {
            var (o, lse) = Cpu.AttentionForward(q, k, v, causal, 0.35, 2);
            var (dout, dlse) = Tb.AttentionForward(dq, dk, dv, causal, 0.35, 2);
            Close(o, dout, t, "attention out"); Close(lse, dlse, t, "attention lse");
            var (gq, gk, gv) = Cpu.AttentionBackward(go, q, k, v, o, lse, causal, 0.35, 2);
            var (dgq, dgk, dgv) = Tb.AttentionBackward(dgo, dq, dk, dv, dout, dlse, causal, 0.35, 2);
            Close(gq, dgq, t, "attention dq"); Close(gk, dgk, t, "attention dk"); Close(gv, dgv, t, "attention dv");
        }
    }
}
