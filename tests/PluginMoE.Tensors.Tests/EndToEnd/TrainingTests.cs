// End-to-end checks of the engine: small models overfit a fixed batch, and training is bitwise
// deterministic for a given seed and thread count.
using static PluginMoE.Tensors.torch;
using F = PluginMoE.Tensors.torch.nn.functional;

namespace PluginMoE.Tensors.Tests.EndToEnd;

public class TrainingTests
{
    private sealed class Mlp : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Linear fc1, fc2;

        public Mlp(Generator g)
        {
            fc1 = new nn.Linear(8, 32, generator: g);
            fc2 = new nn.Linear(32, 4, generator: g);
            register_module("fc1", fc1);
            register_module("fc2", fc2);
        }

        public override Tensor forward(Tensor x) => fc2.call(F.gelu(fc1.call(x)));
    }

    /// <summary>One causal self-attention block with RoPE, RMSNorm and a SwiGLU MLP over byte tokens.</summary>
    private sealed class TinyAttentionLm : nn.Module<Tensor, Tensor>
    {
        private const int Dim = 16, Heads = 2, Vocab = 32;
        private readonly nn.Embedding emb;
        private readonly nn.RMSNorm norm1, norm2, normF;
        private readonly nn.Linear q, k, v, o, gate, up, down, head;

        public TinyAttentionLm(Generator g)
        {
            emb = new nn.Embedding(Vocab, Dim, generator: g);
            norm1 = new nn.RMSNorm(Dim);
            norm2 = new nn.RMSNorm(Dim);
            normF = new nn.RMSNorm(Dim);
            q = new nn.Linear(Dim, Dim, bias: false, generator: g);
            k = new nn.Linear(Dim, Dim / 2, bias: false, generator: g); // grouped-query: one kv head
            v = new nn.Linear(Dim, Dim / 2, bias: false, generator: g);
            o = new nn.Linear(Dim, Dim, bias: false, generator: g);
            gate = new nn.Linear(Dim, 32, bias: false, generator: g);
            up = new nn.Linear(Dim, 32, bias: false, generator: g);
            down = new nn.Linear(32, Dim, bias: false, generator: g);
            head = new nn.Linear(Dim, Vocab, bias: false, generator: g);
            foreach (var (name, m) in new (string, nn.Module)[] { ("emb", emb), ("norm1", norm1), ("norm2", norm2), ("normF", normF), ("q", q), ("k", k), ("v", v), ("o", o), ("gate", gate), ("up", up), ("down", down), ("head", head) })
                register_module(name, m);
        }

        public override Tensor forward(Tensor ids)                        // (B, T) int64
        {
            long b = ids.size(0), t = ids.size(1), hd = Dim / Heads;
            var x = emb.call(ids);                                          // (B, T, C)
            var h = norm1.call(x);
            var qh = F.rotary_embedding(q.call(h).view(b, t, Heads, hd).transpose(1, 2));   // (B, H, T, hd)
            var kh = F.rotary_embedding(k.call(h).view(b, t, 1, hd).transpose(1, 2));       // (B, 1, T, hd)
            var vh = v.call(h).view(b, t, 1, hd).transpose(1, 2);
            var att = F.scaled_dot_product_attention(qh, kh, vh, is_causal: true); // (B, H, T, hd)
            x = x + o.call(att.transpose(1, 2).reshape(b, t, Dim));
            var m = norm2.call(x);
            x = x + down.call(F.silu(gate.call(m)) * up.call(m));
            return head.call(normF.call(x));                                // (B, T, V)
        }
    }

    private static double TrainMlp(long seed, int steps, out float[] finalWeights)
    {
        var g = new Generator(seed);
        var model = new Mlp(g);
        var x = randn([64, 8], generator: g);
        var y = randint(0, 4, [64], generator: g);
        var opt = new optim.AdamW(model.parameters(), lr: 1e-2, weight_decay: 0.0);
        double loss = double.NaN;
        for (int i = 0; i < steps; i++)
        {
            opt.zero_grad();
            var l = F.cross_entropy(model.call(x), y);
            l.backward();
            opt.step();
            loss = l.ToDouble();
        }
        finalWeights = model.parameters().SelectMany(p => p.data<float>()).ToArray();
        return loss;
    }

    [Fact]
    public void Mlp_OverfitsAFixedBatch()
    {
        double first = TrainMlp(3, 1, out _);
        double last = TrainMlp(3, 200, out _);
        Assert.True(first > 1.0, $"initial loss {first}");
        Assert.True(last < 0.05, $"loss after 200 steps is {last}, expected < 0.05 (started at {first})");
    }

    [Fact]
    public void Training_SameSeed_IsBitwiseIdentical()
    {
        double l1 = TrainMlp(11, 20, out var w1);
        double l2 = TrainMlp(11, 20, out var w2);
        Assert.Equal(l1, l2);
        Assert.Equal(w1, w2);
    }

    [Fact]
    public void TinyAttentionModel_OverfitsAFixedBatch_AndIsDeterministic()
    {
        static (double first, double last, float[] w) Run()
        {
            var g = new Generator(5);
            var model = new TinyAttentionLm(g);
            var data = randint(0, 32, [4, 13], generator: g);
            var inputs = data.narrow(1, 0, 12);
            var targets = data.narrow(1, 1, 12).contiguous();
            var opt = new optim.AdamW(model.parameters(), lr: 2e-2, weight_decay: 0.0);
            double first = double.NaN, last = double.NaN;
            for (int i = 0; i < 150; i++)
            {
                opt.zero_grad();
                var logits = model.call(inputs);
                var loss = F.cross_entropy(logits.reshape(-1, 32), targets.reshape(-1));
                loss.backward();
                nn.utils.clip_grad_norm_(model.parameters(), 1.0);
                opt.step();
                if (i == 0) first = loss.ToDouble();
                last = loss.ToDouble();
            }
            return (first, last, model.parameters().SelectMany(p => p.data<float>()).ToArray());
        }

        var a = Run();
        Assert.True(a.first > 3.0, $"initial loss {a.first}");
        Assert.True(a.last < 0.2, $"loss after 150 steps is {a.last}, expected < 0.2 (started at {a.first})");
        var b = Run();
        Assert.Equal(a.last, b.last);
        Assert.Equal(a.w, b.w);
    }
}
