// The caching allocator and deterministic release: reuse by (type, length), dispose scopes, release of gradient
// buffers by backward, in-place gradient accumulation, and no use-after-release. Each test uses lengths no other
// test allocates, so that tests running in parallel do not take each other's pooled arrays.
namespace PluginMoE.Tensors.Tests.Storage;

public sealed class CachingAllocatorTests
{
    [Fact]
    public void A_released_array_is_handed_to_the_next_request_of_the_same_type_and_length()
    {
        const int n = 10_007;
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
        const int n = 10_099;
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
        const int n = 10_067;
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
}
