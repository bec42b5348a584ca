// CPU time per call of the kernels that compute a float32 exp or sigmoid (issue #12, one vector exp for every kernel):
// SwiGLU forward+backward on the tiny and small models' expert shapes, the grouped SwiGLU FFN (MH-MoE's sub-token
// experts), causal attention forward and forward+backward, softmax, log-softmax, cross-entropy forward+backward and the
// unary exp/sigmoid/silu. One thread, 30 warm-up calls, then at least 30 timed calls and 1 s; process CPU milliseconds
// per call (steadier than wall time on a shared machine). Usage: PluginMoE.Bench --exp-kernels [--filter S].
using System.Diagnostics;
using PluginMoE.Tensors;
using PluginMoE.Tensors.Backends;
using F = PluginMoE.Tensors.torch.nn.functional;

namespace PluginMoE.Bench;

internal static class ExpKernelTimes
{
    public static int Run(string[] args)
    {
        string? filter = null;
        for (int i = 0; i < args.Length; i++)
            if (args[i] == "--filter") filter = args[++i];
        ParallelFor.Threads = 1;
        foreach (var (name, setup) in Cases())
        {
            if (filter is not null && !name.Contains(filter, StringComparison.OrdinalIgnoreCase)) continue;
            var run = setup();
            for (int i = 0; i < 30; i++) run();
            var sw = Stopwatch.StartNew();
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            int calls = 0;
            while (calls < 30 || sw.Elapsed.TotalSeconds < 1.0)
            {
                run();
                calls++;
            }
            double cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds / calls;
            double wallMs = sw.Elapsed.TotalMilliseconds / calls;
            Console.WriteLine($"{{\"kernel\":\"{name}\",\"threads\":1,\"calls\":{calls},\"cpu_ms\":{Json.Num(cpuMs)},\"wall_ms\":{Json.Num(wallMs)}}}");
            GC.Collect();
        }
        return 0;
    }

    private static IEnumerable<(string, Func<Action>)> Cases()
    {
        // The exp and sigmoid themselves on a 4096-float buffer that stays in L1 (1000 passes per call), VectorMath
        // against TensorPrimitives (whose float32 exp widens to float64) in the same run: the kernel cases below also
        // pay for memory traffic and allocation.
        foreach (var (op, impl) in new[] { ("exp", "vectormath"), ("exp", "tensorprimitives"), ("sigmoid", "vectormath"), ("sigmoid", "tensorprimitives") })
            yield return ($"{op}_in_l1_{impl}[4096]x1000", () =>
            {
                var x = new float[4096];
                var y = new float[4096];
                var rng = new System.Random(7);
                for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 20 - 10);
                return (op, impl) switch
                {
                    ("exp", "vectormath") => () => { for (int r = 0; r < 1000; r++) VectorMath.Exp(x, y); },
                    ("exp", _) => () => { for (int r = 0; r < 1000; r++) System.Numerics.Tensors.TensorPrimitives.Exp(x, y); },
                    (_, "vectormath") => () => { for (int r = 0; r < 1000; r++) VectorMath.Sigmoid(x, y); },
                    _ => () => { for (int r = 0; r < 1000; r++) System.Numerics.Tensors.TensorPrimitives.Sigmoid(x, y); },
                };
            });
        // Expert hidden activations of one expert per layer: tiny (1024 tokens, top-2 of 4 experts, hidden 512) and
        // small (2048 tokens, top-2 of 8, hidden 1024): 512 rows each.
        foreach (var (rows, hidden, label) in new[] { (512L, 512L, "tiny"), (512L, 1024L, "small") })
            yield return ($"swiglu_fwd_bwd_{label}[{rows},{hidden}]", () =>
            {
                var g = new Generator(1);
                var gate = torch.randn([rows, hidden], ScalarType.Float32, g).requires_grad_();
                var up = torch.randn([rows, hidden], ScalarType.Float32, g).requires_grad_();
                var w = torch.randn([rows, hidden], ScalarType.Float32, g);
                return () =>
                {
                    gate.grad = up.grad = null;
                    F.swiglu(gate, up).backward(w);
                };
            });
        // MH-MoE tiny: 4 sub-token heads of width 32, 4 experts of hidden 128, 4096 sub-tokens (1024 each).
        yield return ("grouped_swiglu_ffn_fwd_bwd[4096,32,E4,H128]", () =>
        {
            var g = new Generator(2);
            var x = torch.randn([4096, 32], ScalarType.Float32, g).requires_grad_();
            var gate = Enumerable.Range(0, 4).Select(_ => (torch.randn([128, 32], ScalarType.Float32, g) * 0.2).requires_grad_()).ToArray();
            var up = Enumerable.Range(0, 4).Select(_ => (torch.randn([128, 32], ScalarType.Float32, g) * 0.2).requires_grad_()).ToArray();
            var down = Enumerable.Range(0, 4).Select(_ => (torch.randn([32, 128], ScalarType.Float32, g) * 0.1).requires_grad_()).ToArray();
            long[] counts = [1024, 1024, 1024, 1024];
            return () =>
            {
                x.grad = null;
                foreach (var t in gate.Concat(up).Concat(down)) t.grad = null;
                F.grouped_swiglu_ffn(x, gate, up, down, counts).sum().backward();
            };
        });
        // The tiny model's attention: batch 8, 4 heads, seq 128, head dim 32.
        yield return ("attention_fwd[8,4,128,32]", () =>
        {
            var g = new Generator(3);
            var q = torch.randn([8, 4, 128, 32], ScalarType.Float32, g);
            var k = torch.randn([8, 4, 128, 32], ScalarType.Float32, g);
            var v = torch.randn([8, 4, 128, 32], ScalarType.Float32, g);
            return () => F.scaled_dot_product_attention(q, k, v, is_causal: true);
        });
        yield return ("attention_fwd_bwd[8,4,128,32]", () =>
        {
            var g = new Generator(3);
            var q = torch.randn([8, 4, 128, 32], ScalarType.Float32, g).requires_grad_();
            var k = torch.randn([8, 4, 128, 32], ScalarType.Float32, g).requires_grad_();
            var v = torch.randn([8, 4, 128, 32], ScalarType.Float32, g).requires_grad_();
            return () =>
            {
                q.grad = k.grad = v.grad = null;
                F.scaled_dot_product_attention(q, k, v, is_causal: true).sum().backward();
            };
        });
        yield return ("softmax[4096,1024]", () =>
        {
            var x = torch.randn([4096, 1024], ScalarType.Float32, new Generator(4));
            return () => x.softmax(-1);
        });
        yield return ("log_softmax[4096,1024]", () =>
        {
            var x = torch.randn([4096, 1024], ScalarType.Float32, new Generator(4));
            return () => x.log_softmax(-1);
        });
        // The tiny model's loss (1024 tokens, byte vocabulary) and a large-vocabulary one.
        foreach (var (n, vocab) in new[] { (1024L, 256L), (2048L, 8192L) })
            yield return ($"cross_entropy_fwd_bwd[{n},{vocab}]", () =>
            {
                var g = new Generator(5);
                var x = torch.randn([n, vocab], ScalarType.Float32, g).requires_grad_();
                var t = torch.randint(0, vocab, [n], generator: g);
                return () =>
                {
                    x.grad = null;
                    F.cross_entropy(x, t).backward();
                };
            });
        foreach (var op in new[] { "exp", "sigmoid", "silu" })
            yield return ($"{op}[4096,1024]", () =>
            {
                var x = torch.randn([4096, 1024], ScalarType.Float32, new Generator(6));
                return op switch
                {
                    "exp" => () => x.exp(),
                    "sigmoid" => () => x.sigmoid(),
                    _ => () => F.silu(x),
                };
            });
    }
}
