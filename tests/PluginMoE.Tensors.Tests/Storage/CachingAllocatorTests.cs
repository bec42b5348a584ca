// The caching allocator and deterministic release: reuse by (type, size class), dispose scopes, release of gradient
// buffers by backward, in-place gradient accumulation, and no use-after-release. Tests that count pooled arrays use
// a size class of their own in the 1-4 Mi-element range (Len), which other tests do not allocate, so that tests
// running in parallel do not take each other's pooled arrays.
namespace PluginMoE.Tensors.Tests.Storage;

public sealed class CachingAllocatorTests
{
    /// <summary>A length in size class <paramref name="slot"/> (0-11) of the pool, distinct for every slot.</summary>
    private static int Len(int slot, int delta = 0) => slot < 8
        ? (1 << 20) + slot * (1 << 17) + 1 + delta           // classes 2^20 + (slot + 1) * 2^17
        : (1 << 21) + (slot - 8) * (1 << 18) + 1 + delta;    // classes 2^21 + (slot - 7) * 2^18

    [Fact]
    public void A_released_array_is_handed_to_the_next_request_of_the_same_type_and_length()
    {
        int n = Len(0);
        float[] first;
        using (torch.NewDisposeScope())
        {
            var t = torch.empty([n]);
            first = t.StorageAs<float>();
        }
        Assert.True(CachingAllocator.FreeCount(ScalarType.Float32, n) >= 1);
        var again = torch.empty([n]);
        Assert.Same(first, again.StorageAs<float>());
        var other = torch.empty([n], ScalarType.Float64); // another type never gets that array
        Assert.NotSame(first, (Array)other.StorageAs<double>());
    }

    [Fact]
    public void An_array_not_reused_within_the_next_step_leaves_the_pool()
    {
        int n = Len(1);
        using (torch.NewDisposeScope()) torch.empty([n]);
        Assert.Equal(1, CachingAllocator.FreeCount(ScalarType.Float32, n));
        using (torch.NewDisposeScope()) { } // the next step does not ask for that length: the array goes to the GC
        Assert.Equal(0, CachingAllocator.FreeCount(ScalarType.Float32, n));
    }

    [Fact]
    public void Zeros_from_the_pool_are_zero_even_when_the_array_held_other_values()
    {
        const int n = 10_009;
        using (torch.NewDisposeScope()) torch.full([n], 5.0f);
        var z = torch.zeros([n]);
        Assert.All(z.data<float>(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void A_tensor_used_after_its_scope_ended_throws_instead_of_showing_another_tensors_data()
    {
        const int n = 10_037;
        Tensor inside;
        using (torch.NewDisposeScope()) inside = torch.full([n], 1.0f) * 2;
        var reuse = torch.full([n], 7.0f); // may take the released array
        var e = Assert.Throws<InvalidOperationException>(() => inside.data<float>());
        Assert.Contains("memory was released", e.Message, StringComparison.Ordinal);
        Assert.Contains("MoveToOuterDisposeScope()", e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => inside.reshape(-1).sum());
        Assert.All(reuse.data<float>(), v => Assert.Equal(7f, v));
    }

    [Fact]
    public void Moved_and_detached_tensors_outlive_the_scope_and_nested_scopes_release_in_order()
    {
        const int n = 10_039;
        Tensor kept, moved, detached, inner;
        using (var outer = torch.NewDisposeScope())
        {
            using (var scope = torch.NewDisposeScope())
            {
                moved = torch.full([n], 3.0f).MoveToOuterDisposeScope();
                detached = torch.full([n], 4.0f).DetachFromDisposeScope();
                inner = torch.full([n], 5.0f);
                Assert.Equal(1, scope.Count);
            }
            Assert.Throws<InvalidOperationException>(() => inner.data<float>());
            Assert.Equal(3f, moved.data<float>()[0]); // now owned by the outer scope
            kept = outer.MoveToOuter(torch.full([n], 6.0f));
        }
        Assert.Throws<InvalidOperationException>(() => moved.data<float>());
        Assert.Equal(4f, detached.data<float>()[0]);
        Assert.Equal(6f, kept.data<float>()[0]); // moved out of the outermost scope: owned by none
    }

    [Fact]
    public void Disposing_an_outer_scope_while_an_inner_one_is_open_is_refused()
    {
        var outer = torch.NewDisposeScope();
        var inner = torch.NewDisposeScope();
        var e = Assert.Throws<InvalidOperationException>(outer.Dispose);
        Assert.Contains("innermost first", e.Message, StringComparison.Ordinal);
        inner.Dispose();
        outer.Dispose();
    }

    [Fact]
    public void Views_share_the_release_of_their_storage()
    {
        const int n = 10_061;
        Tensor view;
        using (torch.NewDisposeScope()) view = torch.arange(0, n, 1, ScalarType.Float32).narrow(0, 10, 20);
        Assert.Throws<InvalidOperationException>(() => view.data<float>());
    }

    [Fact]
    public void Backward_returns_its_intermediate_gradient_buffers_to_the_pool_and_keeps_the_leaf_gradients()
    {
        int n = Len(2);
        var x = torch.full([n], 1.0f).requires_grad_();
        int before = CachingAllocator.FreeCount(ScalarType.Float32, n);
        var loss = (x * 2 * 3 * 4).sum();
        loss.backward();
        // d(loss)/d(x*2*3) and d/d(x*2) are dead once their nodes ran: backward released them (outside any scope).
        Assert.True(CachingAllocator.FreeCount(ScalarType.Float32, n) >= before + 1);
        Assert.All(x.grad!.data<float>(), v => Assert.Equal(24f, v));
    }

    [Fact]
    public void Leaf_gradients_survive_the_scope_of_the_step_and_accumulate_in_place()
    {
        const int n = 10_069;
        var w = new torch.nn.Parameter(torch.full([n], 2.0f));
        float[] gradArray;
        using (torch.NewDisposeScope())
        {
            (w * w).sum().backward();
            gradArray = w.grad!.StorageAs<float>();
        }
        Assert.All(w.grad!.data<float>(), v => Assert.Equal(4f, v));
        using (torch.NewDisposeScope()) (w * 3).sum().backward();
        Assert.Same(gradArray, w.grad!.StorageAs<float>()); // accumulated into the same buffer
        Assert.All(w.grad!.data<float>(), v => Assert.Equal(7f, v));
        Assert.All(w.data<float>(), v => Assert.Equal(2f, v));
    }

    [Fact]
    public void Parameters_and_optimizer_state_created_inside_a_scope_outlive_it()
    {
        const int n = 10_079;
        torch.nn.Parameter p;
        torch.optim.AdamW opt;
        using (torch.NewDisposeScope())
        {
            p = new torch.nn.Parameter(torch.full([n], 1.0f));
            opt = new torch.optim.AdamW([p], lr: 0.1);
            (p * p).sum().backward();
            opt.step();
        }
        using (torch.NewDisposeScope())
        {
            opt.zero_grad();
            (p * p).sum().backward();
            opt.step(); // reads exp_avg and exp_avg_sq created in the first scope
        }
        Assert.All(p.data<float>(), v => Assert.True(v < 1f && float.IsFinite(v)));
    }

    [Fact]
    public void A_retained_gradient_is_not_released_by_backward()
    {
        const int n = 10_091;
        var x = torch.full([n], 1.0f).requires_grad_();
        var y = x * 2;
        y.retain_grad();
        var z = y * 3;
        z.sum().backward();
        Assert.All(y.grad!.data<float>(), v => Assert.Equal(3f, v));
        Assert.All(x.grad!.data<float>(), v => Assert.Equal(6f, v));
    }

    [Fact]
    public void Size_classes_round_up_by_at_most_an_eighth_and_leave_small_lengths_alone()
    {
        Assert.Equal(1000, CachingAllocator.SizeClass(1000));
        Assert.Equal(1024, CachingAllocator.SizeClass(1024));
        Assert.Equal(1152, CachingAllocator.SizeClass(1025));
        Assert.Equal(1 << 20, CachingAllocator.SizeClass(1 << 20));
        Assert.Equal((1 << 20) + (1 << 17), CachingAllocator.SizeClass((1 << 20) + 1));
        for (int n = CachingAllocator.MinPooledLength; n < 1 << 22; n = n * 9 / 8 + 13)
        {
            int c = CachingAllocator.SizeClass(n);
            Assert.InRange(c, n, n + n / 8);
            Assert.Equal(c, CachingAllocator.SizeClass(c)); // a class is its own class
        }
    }

    [Fact]
    public void A_released_buffer_serves_another_length_of_its_size_class_and_shows_only_that_length()
    {
        int a = Len(3), b = Len(3, delta: 1000);
        Assert.Equal(CachingAllocator.SizeClass(a), CachingAllocator.SizeClass(b));
        float[] first;
        using (torch.NewDisposeScope())
        {
            var t = torch.full([a], 9.0f);
            first = t.StorageAs<float>();
            Assert.Equal(CachingAllocator.SizeClass(a), first.Length); // the array has the class's length
            Assert.Equal(a, t.Storage.Length);                         // the storage the length asked for
        }
        var again = torch.zeros([b]);
        Assert.Same(first, again.StorageAs<float>());
        Assert.Equal(b, again.Storage.Length);
        Assert.Equal(new long[] { b }, again.shape);
        Assert.All(again.data<float>(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void A_released_storage_is_pooled_under_its_class_with_the_class_length()
    {
        int n = Len(4, delta: 77);
        double[] array;
        using (torch.NewDisposeScope()) array = torch.empty([n], ScalarType.Float64).StorageAs<double>();
        Assert.Equal(CachingAllocator.SizeClass(n), array.Length); // the pool holds (and counts) the class's bytes
        Assert.Equal(1, CachingAllocator.FreeCount(ScalarType.Float64, n));
        Assert.Equal(1, CachingAllocator.FreeCount(ScalarType.Float64, CachingAllocator.SizeClass(n) - 5)); // same class
        Assert.Equal(0, CachingAllocator.FreeCount(ScalarType.Float64, CachingAllocator.SizeClass(n) + 1)); // next class
    }

    [Fact]
    public void A_released_buffer_of_a_class_is_never_visible_through_a_live_tensor_of_another_length()
    {
        int a = Len(5), b = Len(5, delta: 4096);
        Tensor dead;
        using (torch.NewDisposeScope()) dead = torch.full([a], 1.0f);
        var live = torch.full([b], 2.0f); // may take dead's array
        Assert.Throws<InvalidOperationException>(() => dead.data<float>());
        Assert.Throws<InvalidOperationException>(() => dead.sum());
        Assert.All(live.data<float>(), v => Assert.Equal(2f, v));
        Assert.Equal(2.0 * b, live.sum().ToDouble(), 1e-3 * b);
    }
}
