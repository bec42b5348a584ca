// The release point for gradients (issue #12): backward hands a leaf the rule's own buffer as its first .grad (no copy)
// when nothing else can see it, zero_grad(set_to_none) gives the buffers backward made back to the caching allocator,
// and the next backward reuses them; an old .grad kept across zero_grad throws, it never shows the next gradient.
// Lengths here sit in size classes of the [2^19, 2^20) range that no other test allocates, so that tests running in
// parallel do not take each other's pooled arrays.

namespace PluginMoE.Tensors.Tests.Storage;

public sealed class GradBufferReleaseTests
{
    /// <summary>A length in size class 2^19 + (slot + 1) * 2^16 (slot 3-6), distinct per slot.</summary>
    private static int Len(int slot) => (1 << 19) + slot * (1 << 16) + 1;

    [Fact]
    public void Zero_grad_returns_the_gradient_buffer_to_the_pool_and_the_next_backward_reuses_it()
    {
        int n = Len(3);
        var w = torch.full([n], 1.0f).requires_grad_().DetachFromDisposeScope();
        var opt = new torch.optim.SGD([w], lr: 0.1);
        using (torch.NewDisposeScope()) (w * 2).sum().backward();
        var first = w.grad!.StorageAs<float>();
        Assert.True(w.grad!.Storage.IsGradBuffer);
        Assert.All(w.grad!.data<float>(), v => Assert.Equal(2f, v));

        int free = CachingAllocator.FreeCount(ScalarType.Float32, n);
        opt.zero_grad();
        Assert.Null(w.grad);
        Assert.Equal(free + 1, CachingAllocator.FreeCount(ScalarType.Float32, n));

        using (torch.NewDisposeScope()) (w.sum() * 3).backward(); // its forward allocates no n-element buffer
        Assert.Same(first, w.grad!.StorageAs<float>()); // the next gradient lives in the released buffer
        Assert.All(w.grad!.data<float>(), v => Assert.Equal(3f, v));
    }

    [Fact]
    public void An_old_grad_kept_across_zero_grad_throws_instead_of_showing_the_next_gradient()
    {
        int n = Len(4);
        var w = torch.full([n], 1.0f).requires_grad_().DetachFromDisposeScope();
        var opt = new torch.optim.AdamW([w], lr: 0.1);
        (w * 2).sum().backward();
        var old = w.grad!;
        var view = old.reshape(-1).narrow(0, 0, 10);
        opt.zero_grad();
        (w * 5).sum().backward(); // may take the released array
        var e = Assert.Throws<InvalidOperationException>(() => old.data<float>());
        Assert.Contains("memory was released", e.Message, StringComparison.Ordinal);
        Assert.Contains("zero_grad()", e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => view.sum());
        Assert.All(w.grad!.data<float>(), v => Assert.Equal(5f, v));
    }

    [Fact]
    public void A_clone_of_the_grad_taken_before_zero_grad_keeps_its_values()
    {
        var w = torch.full([4096], 1.0f).requires_grad_();
        var opt = new torch.optim.SGD([w], lr: 0.1);
        (w * 2).sum().backward();
        var kept = w.grad!.clone();
        opt.zero_grad();
        (w * 7).sum().backward();
        Assert.All(kept.data<float>(), v => Assert.Equal(2f, v));
        Assert.All(w.grad!.data<float>(), v => Assert.Equal(7f, v));
    }

    [Fact]
    public void A_gradient_the_caller_assigned_is_dropped_by_zero_grad_but_not_released()
    {
        var w = torch.full([4096], 1.0f).requires_grad_();
        var mine = torch.full([4096], 9.0f);
        w.grad = mine;
        new torch.optim.SGD([w], lr: 0.1).zero_grad();
        Assert.Null(w.grad);
        Assert.False(mine.Storage.IsReleased);
        Assert.All(mine.data<float>(), v => Assert.Equal(9f, v));

        w.grad = mine;
        var module = new torch.nn.Linear(4, 4);
        module.weight.grad = mine;
        module.zero_grad();
        Assert.Null(module.weight.grad);
        Assert.False(mine.Storage.IsReleased);
    }

    [Fact]
    public void Module_zero_grad_releases_gradient_buffers_like_the_optimizer()
    {
        var lin = new torch.nn.Linear(64, 64);
        lin.forward(torch.ones([8, 64])).sum().backward();
        var g = lin.weight.grad!;
        Assert.True(g.Storage.IsGradBuffer);
        lin.zero_grad();
        Assert.True(g.Storage.IsReleased);
        Assert.Throws<InvalidOperationException>(() => g.data<float>());
    }

    [Fact]
    public void Two_leaves_that_get_the_same_buffer_from_a_rule_each_get_a_grad_of_their_own()
    {
        // add's backward hands the same gradient tensor to both inputs: at most one leaf may adopt it.
        int n = 2048;
        var a = torch.full([n], 1.0f).requires_grad_();
        var b = torch.full([n], 2.0f).requires_grad_();
        ((a + b) * 3).sum().backward();
        Assert.NotSame(a.grad!.Storage, b.grad!.Storage);
        using (torch.no_grad()) a.grad!.add_(torch.ones([n]));
        Assert.All(a.grad!.data<float>(), v => Assert.Equal(4f, v));
        Assert.All(b.grad!.data<float>(), v => Assert.Equal(3f, v));

        // And a leaf used twice (fan-in through a pending gradient) still sums both paths.
        var x = torch.full([n], 2.0f).requires_grad_();
        (x * x + x).sum().backward();
        Assert.All(x.grad!.data<float>(), v => Assert.Equal(5f, v));
    }

    [Fact]
    public void An_adopted_gradient_is_never_released_by_the_scope_or_by_backward()
    {
        int n = Len(5);
        var w = torch.full([n], 1.0f).requires_grad_().DetachFromDisposeScope();
        using (torch.NewDisposeScope())
        {
            var h = w * 2;
            (h * h).sum().backward(); // d/dw = 8w
        }
        using (torch.NewDisposeScope()) torch.empty([n]).fill_(-1); // would take a released array
        Assert.False(w.grad!.Storage.IsReleased);
        Assert.All(w.grad!.data<float>(), v => Assert.Equal(8f, v));
    }

    [Fact]
    public void The_pool_byte_counters_keep_their_high_water_mark_above_what_is_held()
    {
        int n = Len(6);
        CachingAllocator.ResetPeak();
        using (torch.NewDisposeScope())
        {
            var t = torch.empty([n]);
            var held = CachingAllocator.Bytes;
            Assert.True(held.Outstanding >= (long)CachingAllocator.SizeClass(n) * sizeof(float));
            Assert.True(held.Peak >= held.Outstanding + held.Pooled);
        }
        var after = CachingAllocator.Bytes;
        Assert.True(after.Peak >= after.Outstanding + after.Pooled);
        Assert.True(after.Pooled >= 0 && after.Outstanding >= 0);
    }

    [Fact]
    public void Each_step_releases_the_previous_steps_gradients_and_keeps_its_own_past_the_scope()
    {
        var lin = new torch.nn.Linear(256, 512);
        var opt = new torch.optim.AdamW(lin.parameters(), lr: 1e-3);
        var x = torch.randn([64, 256], ScalarType.Float32, new Generator(3)).DetachFromDisposeScope();
        Tensor? previous = null;
        for (int step = 0; step < 3; step++)
        {
            using var scope = torch.NewDisposeScope();
            opt.zero_grad();
            if (previous is not null) Assert.True(previous.Storage.IsReleased); // back in the pool, not left to the GC
            lin.forward(x).square().mean().backward();
            opt.step();
            previous = lin.weight.grad!;
            Assert.True(previous.Storage.IsGradBuffer);
            Assert.Null(previous.Storage.Scope); // the step's scope does not own it
        }
        Assert.False(previous!.Storage.IsReleased);
    }
}
