// LibTorch kernels: GEMM/matmul, RMSNorm and LayerNorm (forward and backward), fused cross-entropy and NLL,
// optimizer updates and gradient-norm reductions, rotary embedding, dropout.
using PluginMoE.Tensors.Backends;
using TT = TorchSharp.torch;

namespace PluginMoE.Tensors.Torch;

public sealed partial class TorchBackend
{
    /// <inheritdoc/>
    public void Gemm(Tensor a, Tensor b, Tensor c, double alpha = 1, double beta = 0)
    {
        using var _ = TT.NewDisposeScope();
        if (c.numel() == 0) return;
        var cv = T(c);
        var m = TT.matmul(T(a), T(b));
        if (alpha != 1) m = m * alpha;
        if (beta != 0) m = m + cv * beta; // beta = 0 ignores c's old contents (NaNs included), as in BLAS
        cv.copy_(m);
    }

    /// <inheritdoc/>
    public Tensor Matmul(Tensor a, Tensor b)
    {
        using var _ = TT.NewDisposeScope();
        return Out(TT.matmul(T(a), T(b)));
    }

    private static TT.Tensor Rows(TT.Tensor x, int cols) => x.reshape(-1, cols);

    /// <inheritdoc/>
    public (Tensor y, Tensor rstd) RmsNormForward(Tensor x, Tensor? weight, int cols, double eps)
    {
        using var _ = TT.NewDisposeScope();
        var xr = Rows(T(x), cols);
        var rstd = ((xr * xr).mean([1L], keepdim: true) + eps).rsqrt();
        var y = xr * rstd;
        if (weight is not null) y = y * T(weight);
        return (Out(y.reshape(x.shape)), Out(rstd.squeeze(1)));
    }

    /// <inheritdoc/>
    public (Tensor sum, Tensor y, Tensor rstd) AddRmsNormForward(Tensor x, Tensor residual, Tensor? weight, int cols, double eps)
    {
        using var _ = TT.NewDisposeScope();
        var s = Rows(T(x), cols) + Rows(T(residual), cols);
        var rstd = ((s * s).mean([1L], keepdim: true) + eps).rsqrt();
        var y = s * rstd;
        if (weight is not null) y = y * T(weight);
        return (Out(s.reshape(x.shape)), Out(y.reshape(x.shape)), Out(rstd.squeeze(1)));
    }

    /// <inheritdoc/>
    public (Tensor dx, Tensor? dweight) RmsNormBackward(Tensor dy, Tensor x, Tensor? weight, Tensor rstd, int cols, bool needWeightGrad)
    {
        using var _ = TT.NewDisposeScope();
        var xr = Rows(T(x), cols); var g = Rows(T(dy), cols); var r = T(rstd).unsqueeze(1);
        var gw = weight is null ? g : g * T(weight);
        // dx = rstd * (gw - x * rstd^2 * mean(gw * x))
        var dx = r * (gw - xr * (r * r) * (gw * xr).mean([1L], keepdim: true));
        Tensor? dw = needWeightGrad && weight is not null ? Out((g * xr * r).sum([0L])) : null;
        return (Out(dx.reshape(x.shape)), dw);
    }

    /// <inheritdoc/>
    public (Tensor y, Tensor mean, Tensor rstd) LayerNormForward(Tensor x, Tensor? weight, Tensor? bias, int cols, double eps)
    {
        using var _ = TT.NewDisposeScope();
        var xr = Rows(T(x), cols);
        var mean = xr.mean([1L], keepdim: true);
        var xc = xr - mean;
        var rstd = ((xc * xc).mean([1L], keepdim: true) + eps).rsqrt();
        var y = xc * rstd;
        if (weight is not null) y = y * T(weight);
        if (bias is not null) y = y + T(bias);
        return (Out(y.reshape(x.shape)), Out(mean.squeeze(1)), Out(rstd.squeeze(1)));
    }

    /// <inheritdoc/>
    public (Tensor dx, Tensor? dweight, Tensor? dbias) LayerNormBackward(Tensor dy, Tensor x, Tensor? weight, Tensor mean, Tensor rstd, int cols, bool needWeightGrad, bool needBiasGrad)
    {
        using var _ = TT.NewDisposeScope();
        var xr = Rows(T(x), cols); var g = Rows(T(dy), cols);
        var r = T(rstd).unsqueeze(1);
        var xhat = (xr - T(mean).unsqueeze(1)) * r;
        var gh = weight is null ? g : g * T(weight);
        var dx = r * (gh - gh.mean([1L], keepdim: true) - xhat * (gh * xhat).mean([1L], keepdim: true));
        Tensor? dw = needWeightGrad && weight is not null ? Out((g * xhat).sum([0L])) : null;
        Tensor? db = needBiasGrad ? Out(g.sum([0L])) : null;
        return (Out(dx.reshape(x.shape)), dw, db);
    }

    /// <summary>(valid rows, targets with ignored entries replaced by 0), checking the bounds of the others.</summary>
    private static (TT.Tensor valid, TT.Tensor safe) Targets(TT.Tensor target, long classes, long ignoreIndex, string op)
    {
        var valid = target.ne(ignoreIndex);
        var bad = valid.logical_and(target.lt(0).logical_or(target.ge(classes)));
        if (bad.any().item<bool>())
        {
            long t = target.masked_select(bad)[0].item<long>();
            throw new IndexOutOfRangeException($"{op}: target {t} is out of bounds for {classes} classes");
        }
        return (valid, TT.where(valid, target, TT.zeros_like(target)));
    }

    /// <inheritdoc/>
    public (Tensor loss, Tensor logSumExp) CrossEntropyForward(Tensor logits, Tensor target, long ignoreIndex, double labelSmoothing)
    {
        using var _ = TT.NewDisposeScope();
        var z = T(logits);
        long c = logits.size(1);
        var (valid, safe) = Targets(T(target), c, ignoreIndex, "cross_entropy");
        var lse = z.logsumexp(1);
        var zt = z.gather(1, safe.unsqueeze(1)).squeeze(1);
        var loss = (1 - labelSmoothing) * (lse - zt);
        if (labelSmoothing != 0) loss = loss + labelSmoothing * (lse - z.mean([1L]));
        loss = TT.where(valid, loss, TT.zeros_like(loss));
        return (Out(loss), Out(TT.where(valid, lse, TT.zeros_like(lse)))); // ignored rows: 0, as the cpu backend
    }

    /// <inheritdoc/>
    public Tensor CrossEntropyBackward(Tensor gradLoss, Tensor logits, Tensor target, Tensor logSumExp, long ignoreIndex, double labelSmoothing)
    {
        using var _ = TT.NewDisposeScope();
        var z = T(logits);
        long c = logits.size(1);
        var (valid, safe) = Targets(T(target), c, ignoreIndex, "cross_entropy");
        // One full-size buffer, updated in place: p = softmax(z); p -= ls / c; p[target] -= 1 - ls; p *= dL; ignored rows = 0.
        var p = (z - T(logSumExp).unsqueeze(1)).exp_();
        if (labelSmoothing != 0) p.sub_(S(labelSmoothing / c));
        var idx = safe.unsqueeze(1);
        p.scatter_add_(1, idx, TT.full([logits.size(0), 1], S(-(1 - labelSmoothing)), p.dtype, TorchDevice));
        p.mul_(T(gradLoss).unsqueeze(1));
        return Out(p.masked_fill_(valid.logical_not().unsqueeze(1), S(0))); // ignored rows: exactly 0
    }

    /// <inheritdoc/>
    public Tensor NllLossForward(Tensor logProbs, Tensor target, long ignoreIndex)
    {
        using var _ = TT.NewDisposeScope();
        var lp = T(logProbs);
        var (valid, safe) = Targets(T(target), logProbs.size(1), ignoreIndex, "nll_loss");
        var loss = -lp.gather(1, safe.unsqueeze(1)).squeeze(1);
        return Out(TT.where(valid, loss, TT.zeros_like(loss)));
    }

    /// <inheritdoc/>
    public Tensor NllLossBackward(Tensor gradLoss, Tensor target, int classes, long ignoreIndex, ScalarType dtype)
    {
        using var _ = TT.NewDisposeScope();
        var (valid, safe) = Targets(T(target), classes, ignoreIndex, "nll_loss");
        var g = T(gradLoss).to(ToTorch(dtype));
        g = TT.where(valid, -g, TT.zeros_like(g));
        var z = TT.zeros([target.size(0), classes], ToTorch(dtype));
        return Out(z.scatter_(1, safe.unsqueeze(1), g.unsqueeze(1)));
    }

    /// <inheritdoc/>
    public void AdamWStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, double lr, double beta1, double beta2, double eps, double weightDecay, long step, bool maximize)
    {
        using var _ = TT.NewDisposeScope();
        var p = T(param); var g = T(grad); var m = T(expAvg); var v = T(expAvgSq);
        if (maximize) g = -g;
        if (weightDecay != 0) p.mul_(S(1 - lr * weightDecay));
        m.mul_(S(beta1)).add_(g, S(1 - beta1));
        v.mul_(S(beta2)).addcmul_(g, g, S(1 - beta2));
        double bc1 = 1 - Math.Pow(beta1, step), bc2 = 1 - Math.Pow(beta2, step);
        var denom = (v.sqrt() / Math.Sqrt(bc2)).add_(S(eps));
        p.addcdiv_(m, denom, S(-lr / bc1));
    }

    /// <inheritdoc/>
    public void SgdStep(Tensor param, Tensor grad, Tensor? momentumBuffer, bool firstStep, double lr, double momentum, double dampening, double weightDecay, bool nesterov, bool maximize)
    {
        using var _ = TT.NewDisposeScope();
        var p = T(param); var g = T(grad);
        if (maximize) g = -g;
        var d = weightDecay != 0 ? g + weightDecay * p : g;
        if (momentumBuffer is not null)
        {
            var buf = T(momentumBuffer);
            if (firstStep) buf.copy_(d); else buf.mul_(S(momentum)).add_(d, S(1 - dampening));
            d = nesterov ? d + momentum * buf : buf;
        }
        p.add_(d, S(-lr));
    }

    /// <inheritdoc/>
    public double NormPowerSum(Tensor x, double p)
    {
        using var _ = TT.NewDisposeScope();
        var a = T(x).to(TT.ScalarType.Float64).abs();
        if (x.numel() == 0) return 0;
        if (double.IsPositiveInfinity(p)) return a.isnan().any().item<bool>() ? double.NaN : a.max().item<double>();
        return a.pow(S(p)).sum().item<double>();
    }

    /// <inheritdoc/>
    public void ScaleInPlace(Tensor x, double factor)
    {
        using var _ = TT.NewDisposeScope();
        if (x.numel() > 0) T(x).mul_(S(factor));
    }

    /// <inheritdoc/>
    public void AddInPlace(Tensor dst, Tensor src)
    {
        using var _ = TT.NewDisposeScope();
        if (dst.numel() > 0) T(dst).add_(T(src));
    }

    /// <inheritdoc/>
    public void ClampInPlace(Tensor x, double min, double max)
    {
        using var _ = TT.NewDisposeScope();
        if (x.numel() > 0) T(x).clamp_(S(min), S(max));
    }

    /// <inheritdoc/>
    public Tensor RotaryApply(Tensor x, Tensor cos, Tensor sin, Tensor positions, bool inverse)
    {
        using var _ = TT.NewDisposeScope();
        var t = T(x);
        long d = x.size(-1), half = d / 2;
        var pos = T(positions);
        var c = T(cos).index_select(0, pos.reshape(-1));
        var s = T(sin).index_select(0, pos.reshape(-1));
        if (positions.dim() == 2)
        {
            // (B*T, D/2) -> (B, 1, ..., 1, T, D/2) to broadcast over x's middle dims.
            var shape = new long[x.dim()];
            Array.Fill(shape, 1L);
            shape[0] = positions.size(0); shape[^2] = positions.size(1); shape[^1] = half;
            c = c.reshape(shape); s = s.reshape(shape);
        }
        if (inverse) s = -s;
        var x1 = t.narrow(-1, 0, half); var x2 = t.narrow(-1, half, half);
        return Out(TT.cat([x1 * c - x2 * s, x2 * c + x1 * s], -1));
    }

    /// <inheritdoc/>
    public Tensor DropoutApply(Tensor x, double p, ulong seed, ulong counter)
    {
        // The keep mask comes from the counter-based Philox stream, which LibTorch does not implement: the CPU
        // backend generates it (1/(1-p) or 0 per element) in host memory, and LibTorch multiplies. Masks therefore
        // match the cpu device bit for bit for the same generator state.
        var ones = Tensor.Empty(x.dtype, (int[])x.Sizes.Clone(), Device.CPU);
        BackendRegistry.Get(Device.CPU).Fill(ones, 1.0);
        var mask = BackendRegistry.Get(Device.CPU).DropoutApply(ones, p, seed, counter);
        using var _ = TT.NewDisposeScope();
        return Out(T(x) * View(mask));
    }
}
