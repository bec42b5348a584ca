// The suite's models written directly in TorchSharp (LibTorch 2.10 CPU, its own modules and autograd), as a C# user
// would: nn.Module subclasses, composite RMSNorm (PyTorch 1.13 and LibTorch have no fused one on this TorchSharp),
// LibTorch's fused scaled_dot_product_attention, the per-expert loop of Hugging Face Mixtral, AdamW, and a dispose scope
// around every block's forward and every step (the form the issue found fastest and leanest for TorchSharp).
using TorchSharp.Modules;
using static TorchSharp.torch;
using TF = TorchSharp.torch.nn.functional;

namespace PluginMoE.Bench.E2E;

/// <summary>A suite model in TorchSharp; the same shapes, routers and losses as <see cref="OursModel"/>.</summary>
internal sealed class TorchSharpModel : IE2eModel
{
    private readonly TsLM _model;
    private readonly optim.Optimizer _opt;
    private readonly Tensor _x, _y;
    private readonly E2eConfig _c;

    public TorchSharpModel(E2eConfig c, string router)
    {
        if (!E2eConfig.Routers.Contains(router)) throw new ArgumentException($"unknown router '{router}'; routers: {string.Join(", ", E2eConfig.Routers)}");
        _c = c;
        manual_seed(1);
        _model = new TsLM(c, router);
        _opt = optim.AdamW(_model.parameters(), lr: 1e-3);
        var data = randint(0, 256, [c.B, c.T + 1]);
        _x = data.narrow(1, 0, c.T);
        _y = data.narrow(1, 1, c.T).contiguous().reshape(-1);
    }

    public bool ReportsAllocations => false;

    public void TrainStep()
    {
        using var scope = NewDisposeScope();
        _opt.zero_grad();
        var (logits, aux) = _model.Forward(_x, null);
        var loss = TF.cross_entropy(logits.reshape(-1, 256), _y) + aux;
        loss.backward();
        _opt.step();
    }

    public void EnterInference()
    {
        _model.eval();
        _model.Freeze();
    }

    public void Prefill()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        _model.Forward(_x, null);
    }

    public void DecodeCall()
    {
        using var noGrad = no_grad();
        var cache = new TsCache();
        try
        {
            using (NewDisposeScope()) _model.Forward(_x.narrow(0, 0, 1).narrow(1, 0, E2eConfig.Prompt), cache);
            for (int i = 0; i < E2eConfig.Decode; i++)
            {
                using var scope = NewDisposeScope();
                _model.Forward(_x.narrow(0, 0, 1).narrow(1, E2eConfig.Prompt + i, 1), cache);
            }
        }
        finally { cache.Dispose(); }
    }
}

/// <summary>Keys and values per layer, kept outside every dispose scope (the old ones are disposed when replaced).</summary>
internal sealed class TsCache : IDisposable
{
    public readonly Dictionary<int, (Tensor K, Tensor V)> Layers = [];
    public long Length;

    public (Tensor K, Tensor V) Append(int layer, Tensor k, Tensor v)
    {
        if (Layers.TryGetValue(layer, out var old))
        {
            k = cat([old.K, k], 2);
            v = cat([old.V, v], 2);
            old.K.Dispose();
            old.V.Dispose();
        }
        k.DetachFromDisposeScope();
        v.DetachFromDisposeScope();
        Layers[layer] = (k, v);
        return (k, v);
    }

    public void Dispose()
    {
        foreach (var (k, v) in Layers.Values) { k.Dispose(); v.Dispose(); }
        Layers.Clear();
    }
}

/// <summary>The LM: embedding, pre-norm blocks (RoPE attention, MoE FFN), final RMSNorm, untied head.</summary>
internal sealed class TsLM : nn.Module
{
    private readonly Embedding embed;
    private readonly TsBlock[] _blocks;
    private readonly Parameter norm;
    private readonly Linear head;
    private readonly Tensor _cos, _sin;

    public TsLM(E2eConfig c, string router) : base("TsLM")
    {
        embed = nn.Embedding(256, c.D);
        norm = new Parameter(ones(c.D));
        head = nn.Linear(c.D, 256, hasBias: false);
        int hd = c.D / c.Heads;
        var inv = 1.0 / pow(10000.0, arange(0, hd, 2, ScalarType.Float32) / hd);
        var ang = outer(arange(c.T, ScalarType.Float32), inv);
        _cos = cat([ang.cos(), ang.cos()], -1).DetachFromDisposeScope();
        _sin = cat([ang.sin(), ang.sin()], -1).DetachFromDisposeScope();
        RegisterComponents();
        _blocks = [.. Enumerable.Range(0, c.Layers).Select(_ => new TsBlock(c, router))];
        for (int i = 0; i < _blocks.Length; i++) register_module($"block{i}", _blocks[i]);
    }

    public void Freeze()
    {
        foreach (var b in _blocks) b.Freeze();
    }

    public (Tensor Logits, Tensor Aux) Forward(Tensor ids, TsCache? cache)
    {
        long start = cache?.Length ?? 0;
        var x = embed.forward(ids);
        var aux = zeros([]);
        for (int i = 0; i < _blocks.Length; i++)
        {
            var (y, a) = _blocks[i].Forward(x, _cos, _sin, start, cache, i);
            x = y;
            aux = aux + a;
        }
        if (cache is not null) cache.Length = start + ids.size(1);
        return (head.forward(TsBlock.Rms(x, norm)), aux);
    }
}

/// <summary>One pre-norm block with its MoE FFN; its forward runs in a dispose scope that keeps only the outputs.</summary>
internal sealed class TsBlock : nn.Module
{
    private readonly int _heads, _d, _experts, _width;
    private readonly string _router;
    private readonly Parameter n1, n2;
    private readonly Linear q, k, v, o;
    private readonly Linear[] _gate, _up, _down;
    // linear router
    private readonly Linear? router;
    // nexus: fixed domain embeddings, hypernetwork, shared expert; E frozen for inference
    private readonly Tensor? _domains;
    private readonly Linear? w1, w2, sharedGate, sharedUp, sharedDown;
    private Tensor? _frozenE;
    // multi-head over xmoe
    private readonly Linear? headProj, mergeProj, wred;
    private readonly Parameter? wg, tau;

    public TsBlock(E2eConfig c, string router) : base("TsBlock")
    {
        _heads = c.Heads;
        _d = c.D;
        _experts = c.Experts;
        _router = router;
        _width = router == "multi-head" ? c.D / E2eConfig.MhHeads : c.D;
        n1 = new Parameter(ones(c.D));
        n2 = new Parameter(ones(c.D));
        q = nn.Linear(c.D, c.D, hasBias: false);
        k = nn.Linear(c.D, c.D, hasBias: false);
        v = nn.Linear(c.D, c.D, hasBias: false);
        o = nn.Linear(c.D, c.D, hasBias: false);
        switch (router)
        {
            case "linear":
                this.router = nn.Linear(c.D, c.Experts, hasBias: false);
                break;
            case "nexus":
                _domains = randn(c.Experts, E2eConfig.DomainDim).DetachFromDisposeScope();
                w1 = nn.Linear(E2eConfig.DomainDim, 2 * c.D, hasBias: false);
                w2 = nn.Linear(c.D, c.D, hasBias: false);
                sharedGate = nn.Linear(c.D, 4 * c.D, hasBias: false);
                sharedUp = nn.Linear(c.D, 4 * c.D, hasBias: false);
                sharedDown = nn.Linear(4 * c.D, c.D, hasBias: false);
                break;
            default:
                headProj = nn.Linear(c.D, c.D, hasBias: true);
                mergeProj = nn.Linear(c.D, c.D, hasBias: true);
                wred = nn.Linear(_width, 16, hasBias: false);
                wg = new Parameter(randn(c.Experts, 16) * 0.1);
                tau = new Parameter(full([1], 0.3));
                break;
        }
        RegisterComponents();
        _gate = [.. Enumerable.Range(0, c.Experts).Select(_ => nn.Linear(_width, 4 * c.D, hasBias: false))];
        _up = [.. Enumerable.Range(0, c.Experts).Select(_ => nn.Linear(_width, 4 * c.D, hasBias: false))];
        _down = [.. Enumerable.Range(0, c.Experts).Select(_ => nn.Linear(4 * c.D, _width, hasBias: false))];
        for (int e = 0; e < c.Experts; e++)
        {
            register_module($"gate{e}", _gate[e]);
            register_module($"up{e}", _up[e]);
            register_module($"down{e}", _down[e]);
        }
    }

    public static Tensor Rms(Tensor x, Tensor w) => x * rsqrt(x.pow(2).mean([-1], keepdim: true) + 1e-5) * w;

    private static Tensor Rope(Tensor x, Tensor cos, Tensor sin, long start)
    {
        long t = x.size(-2), h = x.size(-1) / 2;
        var rot = cat([-x.narrow(-1, h, h), x.narrow(-1, 0, h)], -1);
        return x * cos.narrow(0, start, t) + rot * sin.narrow(0, start, t);
    }

    /// <summary>The frozen Nexus form for inference: E computed once, routing is then a plain linear layer.</summary>
    public void Freeze()
    {
        if (_router != "nexus") return;
        using var noGrad = no_grad();
        _frozenE?.Dispose();
        _frozenE = ExpertEmbeddings().DetachFromDisposeScope();
    }

    private Tensor ExpertEmbeddings()
    {
        var a = w1!.forward(_domains!);
        return w2!.forward(TF.silu(a.narrow(1, 0, _d)) * a.narrow(1, _d, _d));
    }

    public (Tensor X, Tensor Aux) Forward(Tensor x, Tensor cos, Tensor sin, long start, TsCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        long b = x.size(0), t = x.size(1);
        var h = Rms(x, n1);
        var qh = Rope(q.forward(h).view(b, t, _heads, -1).transpose(1, 2), cos, sin, start);
        var kh = Rope(k.forward(h).view(b, t, _heads, -1).transpose(1, 2), cos, sin, start);
        var vh = v.forward(h).view(b, t, _heads, -1).transpose(1, 2);
        if (cache is not null) (kh, vh) = cache.Append(layer, kh, vh);
        var a = TF.scaled_dot_product_attention(qh, kh, vh, is_casual: t > 1);
        x = x + o.forward(a.transpose(1, 2).reshape(b, t, _d));
        var u = Rms(x, n2).reshape(-1, _d);
        var (y, aux) = Moe(u);
        x = x + y.view(b, t, _d);
        return (x.MoveToOuterDisposeScope(), aux.MoveToOuterDisposeScope());
    }

    private (Tensor Y, Tensor Aux) Moe(Tensor x)
    {
        var units = _router == "multi-head" ? headProj!.forward(x).reshape(-1, _width) : x;
        Tensor logits, probs, w, sel;
        switch (_router)
        {
            case "linear":
                logits = router!.forward(units);
                probs = logits.softmax(-1);
                (w, sel) = probs.topk(E2eConfig.TopK, -1);
                w = w / w.sum(-1, keepdim: true);
                break;
            case "nexus":
                logits = TF.linear(units, _frozenE is not null && !training ? _frozenE : ExpertEmbeddings());
                probs = logits.softmax(-1);
                (w, sel) = probs.topk(E2eConfig.TopK, -1); // the chosen probabilities, not renormalised
                break;
            default:
                logits = TF.linear(TF.normalize(wred!.forward(units), dim: -1, eps: 1e-4), TF.normalize(wg!, dim: -1, eps: 1e-4)) / tau!;
                probs = logits.softmax(-1);
                Tensor top;
                (top, sel) = logits.topk(E2eConfig.TopK, -1);
                w = top.softmax(-1);
                break;
        }
        var output = zeros_like(units);
        for (int e = 0; e < _experts; e++)
        {
            var hit = sel.eq(e).nonzero();                                 // (c, 2): unit, slot
            if (hit.size(0) == 0) continue;
            var rows = hit.select(1, 0);
            var xe = units.index_select(0, rows);
            var ye = _down[e].forward(TF.silu(_gate[e].forward(xe)) * _up[e].forward(xe));
            var we = w.reshape(-1).index_select(0, rows * E2eConfig.TopK + hit.select(1, 1));
            output.index_add_(0, rows, ye * we.unsqueeze(1), 1.0);
        }
        var frac = TF.one_hot(sel, _experts).to(ScalarType.Float32).sum(1).mean([0]) / E2eConfig.TopK;
        var aux = (frac * probs.mean([0])).sum() * (_experts * 0.01);
        var y = _router == "multi-head" ? mergeProj!.forward(output.reshape(-1, _d)) : output;
        if (_router == "nexus") y = y + sharedDown!.forward(TF.silu(sharedGate!.forward(x)) * sharedUp!.forward(x));
        return (y, aux);
    }
}
