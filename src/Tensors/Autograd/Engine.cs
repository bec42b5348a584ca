// Reverse-mode differentiation: topological sort of the recorded graph, then one reverse walk that
// calls each node's backward rule once and accumulates gradients (micrograd's Backward(), at scale).
// Memory: the engine returns to the caching allocator what only it can see: the temporaries of a backward
// rule that are not part of the gradients it returns, and each node's incoming gradient once the node has run
// (unless another pending gradient or a .grad shares it). A leaf's first gradient takes the rule's buffer as it is when
// only this pass can see it (no copy), later ones accumulate in place, and so do fan-in gradients whose buffer only this
// pass can see. The buffers backward makes for .grad go back to the pool when zero_grad drops them (DropGrad). Nodes may have several outputs (Node.OutputCount).
namespace PluginMoE.Tensors.Autograd;

/// <summary>Runs backward passes over the recorded graph.</summary>
internal static class Engine
{
    public static void Backward(Tensor root, Tensor? gradient, bool retainGraph)
    {
        if (!root.requires_grad)
            throw new InvalidOperationException("backward(): the tensor does not require grad and has no grad_fn (did you compute it under no_grad, or forget requires_grad on the inputs?)");
        if (gradient is null)
        {
            if (root.numel() != 1)
                throw new InvalidOperationException(
                    $"backward(): a gradient can be created implicitly only for a one-element output, but the output has shape {Shape.Format(root.Sizes)}; " +
                    "pass backward(gradient) with a tensor of that shape, or reduce the output (e.g. sum() or mean()) first");
            gradient = torch.ones_like(root);
        }
        else if (!Shape.Equal(gradient.Sizes, root.Sizes))
        {
            throw new ArgumentException($"backward(): gradient has shape {Shape.Format(gradient.Sizes)} but the output has shape {Shape.Format(root.Sizes)}");
        }

        bool profile = OpProfile.Enabled;
        if (profile) OpProfile.ChargeSinceMark("fwd:(after the last recorded op)");
        using var _ = GradMode.Set(false);
        if (root.GradFn is null)
        {
            AccumulateLeaf(root, gradient);
            return;
        }

        var order = TopologicalOrder(root.GradFn);
        var rootSlots = new Tensor?[root.GradFn.OutputCount];
        rootSlots[root.OutputIndex] = gradient;
        var pending = new Dictionary<Node, Tensor?[]>(ReferenceEqualityComparer.Instance) { [root.GradFn] = rootSlots };
        if (root.RetainsGrad) root.grad = Keep(gradient);

        // Releasable storages (pooled, or a backend's) allocated during this backward (gradient buffers and temporaries): only these may be released here.
        var allocated = new List<TensorStorage>();
        var previousRecorder = CachingAllocator.Record(allocated);
        try
        {
            Walk(order, pending, allocated, retainGraph);
        }
        finally
        {
            CachingAllocator.Record(previousRecorder);
            if (profile) OpProfile.Mark();
        }
    }

    // Reverse topological order guarantees that every consumer of every output of a node has run (and added its
    // gradient to the node's slots) before the node itself runs; slots nobody filled reach the rule as null (zero).
    private static void Walk(List<Node> order, Dictionary<Node, Tensor?[]> pending, List<TensorStorage> allocated, bool retainGraph)
    {
        var ours = new HashSet<TensorStorage>(ReferenceEqualityComparer.Instance);
        bool profile = OpProfile.Enabled;
        var engineStart = profile ? OpProfile.Now() : default;
        foreach (var node in order)
        {
            if (!pending.Remove(node, out var gOut)) continue; // nothing flows into this node
            var rule = node.Backward ?? throw new InvalidOperationException(
                $"backward(): trying to backward through the graph a second time (at {node.Name}); its saved tensors were freed " +
                "after the first backward. Pass retain_graph: true to the first backward() if you need a second one.");
            node.CheckSavedVersions();
            int mark = allocated.Count;
            if (profile) OpProfile.Add("engine:accumulate, release", engineStart);
            var ruleStart = profile ? OpProfile.Now() : default;
            var grads = rule(gOut);
            if (profile)
            {
                OpProfile.Add("bwd:" + node.Name, ruleStart);
                engineStart = OpProfile.Now();
            }
            // The rule's temporaries: allocated by it and not behind any gradient it returns.
            for (int k = mark; k < allocated.Count; k++)
            {
                var s = allocated[k];
                if (SharedBy(s, grads)) ours.Add(s);
                else s.Release();
            }
            if (!retainGraph) node.Backward = null;
            if (grads.Length != node.Inputs.Length)
                throw new InvalidOperationException($"{node.Name}: backward returned {grads.Length} gradients for {node.Inputs.Length} inputs");

            for (int i = 0; i < grads.Length; i++)
            {
                var input = node.Inputs[i];
                var (producer, output, requiresGrad) = node.Edges[i];
                var g = grads[i];
                if (g is null || !requiresGrad) continue;
                if (!Shape.Equal(g.Sizes, input.Sizes))
                    throw new InvalidOperationException(
                        $"{node.Name}: gradient for input {i} has shape {Shape.Format(g.Sizes)} but the input has shape {Shape.Format(input.Sizes)}");
                if (g.dtype != input.dtype) g = g.to(input.dtype);

                if (producer is not null)
                {
                    if (!pending.TryGetValue(producer, out var slots)) pending[producer] = slots = new Tensor?[producer.OutputCount];
                    var acc = slots[output];
                    if (acc is null) slots[output] = g;
                    else
                    {
                        var addStart = profile ? OpProfile.Now() : default;
                        if (CanAccumulateInPlace(acc, g, ours, grads, pending.Values))
                            acc.backend.AddInPlace(acc, g); // fan-in: add into the buffer this pass allocated instead of a new one
                        else
                        {
                            int before = allocated.Count;
                            slots[output] = acc + g;
                            for (int k = before; k < allocated.Count; k++) ours.Add(allocated[k]);
                            ReleaseIfDead(acc, ours, grads, pending.Values);
                        }
                        if (profile) OpProfile.Add("engine:(of which) fan-in add " + node.Name, addStart);
                    }
                    if (input.RetainsGrad) input.grad = Keep(input.grad is null ? g : input.grad + g);
                }
                else if (input.grad is null && CanAdopt(g, i, ours, grads, pending.Values))
                {
                    // The rule's buffer becomes the .grad as it is (no clone): nothing else can see it.
                    ours.Remove(g.Storage);
                    input.grad = Keep(g);
                    g.Storage.IsGradBuffer = true;
                }
                else
                {
                    var addStart = profile ? OpProfile.Now() : default;
                    AccumulateLeaf(input, g);
                    if (profile) OpProfile.Add("engine:(of which) leaf accumulate", addStart);
                }
            }

            // The gradients that flowed into this node are dead now, unless a gradient still pending shares their memory.
            foreach (var t in gOut)
                if (t is not null) ReleaseIfDead(t, ours, grads, pending.Values);
        }
        if (profile) OpProfile.Add("engine:accumulate, release", engineStart);
        allocated.Clear();
    }

    /// <summary>
    /// True when the pending gradient <paramref name="acc"/> may take <paramref name="g"/> in place: its buffer was
    /// allocated by this pass, is contiguous float of g's shape, and nothing else (a .grad, another pending gradient, a
    /// gradient just returned) can see it.
    /// </summary>
    private static bool CanAccumulateInPlace(Tensor acc, Tensor g, HashSet<TensorStorage> ours, Tensor?[] grads, IEnumerable<Tensor?[]> pending)
    {
        var s = acc.Storage;
        if (!ours.Contains(s) || s.KeptByGrad || s.IsReleased) return false;
        if (acc.dtype != g.dtype || acc.dtype is not (ScalarType.Float32 or ScalarType.Float64) || !acc.is_contiguous()) return false;
        if (acc.Offset != 0 || acc.NumelCached != s.Length || !Shape.Equal(acc.Sizes, g.Sizes)) return false;
        if (ReferenceEquals(g.Storage, s) || SharedBy(s, grads)) return false;
        int seen = 0;
        foreach (var slots in pending)
            foreach (var t in slots)
                if (t is not null && ReferenceEquals(t.Storage, s) && ++seen > 1) return false;
        return true;
    }

    /// <summary>
    /// True when gradient <paramref name="index"/> of a rule's result can become a leaf's first .grad without a copy: its
    /// buffer was allocated by this pass, is a whole contiguous float buffer, and no other returned or pending gradient and
    /// no .grad shares it.
    /// </summary>
    private static bool CanAdopt(Tensor g, int index, HashSet<TensorStorage> ours, Tensor?[] grads, IEnumerable<Tensor?[]> pending)
    {
        var s = g.Storage;
        if (!ours.Contains(s) || s.KeptByGrad || s.IsReleased) return false;
        if (g.dtype is not (ScalarType.Float32 or ScalarType.Float64) || !g.is_contiguous() || g.Offset != 0 || g.NumelCached != s.Length) return false;
        for (int j = 0; j < grads.Length; j++)
            if (j != index && grads[j] is { } other && ReferenceEquals(other.Storage, s)) return false;
        return !SharedByPending(s, pending);
    }

    /// <summary>
    /// Drops <paramref name="p"/>'s gradient (<c>zero_grad(set_to_none: true)</c>). A buffer backward made for it
    /// (<see cref="TensorStorage.IsGradBuffer"/>) goes back to the caching allocator, so the next backward reuses it
    /// instead of allocating; a tensor the caller assigned to <c>.grad</c> is only dropped.
    /// </summary>
    internal static void DropGrad(Tensor p)
    {
        if (p.grad is not { } g) return;
        p.grad = null;
        if (g.Storage.IsGradBuffer) g.Storage.Release();
    }

    /// <summary>Releases a gradient buffer of this pass that no pending gradient, returned gradient or .grad shares.</summary>
    private static void ReleaseIfDead(Tensor t, HashSet<TensorStorage> ours, Tensor?[] grads, IEnumerable<Tensor?[]> pending)
    {
        if (t.Storage is { } s && ours.Contains(s) && !s.KeptByGrad && !SharedBy(s, grads) && !SharedByPending(s, pending))
        {
            ours.Remove(s);
            s.Release();
        }
    }

    /// <summary>True when one of <paramref name="tensors"/> is a view of <paramref name="s"/>.</summary>
    private static bool SharedBy(TensorStorage s, IEnumerable<Tensor?> tensors)
    {
        foreach (var t in tensors)
            if (t is not null && ReferenceEquals(t.Storage, s)) return true;
        return false;
    }

    private static bool SharedByPending(TensorStorage s, IEnumerable<Tensor?[]> pending)
    {
        foreach (var slots in pending)
            if (SharedBy(s, slots)) return true;
        return false;
    }

    /// <summary>A tensor stored in a .grad: no dispose scope or backward pass may release it.</summary>
    private static Tensor Keep(Tensor t)
    {
        t.Storage.KeptByGrad = true;
        DisposeScope.DetachStorage(t.Storage);
        return t;
    }

    private static void AccumulateLeaf(Tensor leaf, Tensor g)
    {
        // Fresh storage on first write so that in-place accumulation never aliases a graph tensor; later gradients
        // are added in place (as PyTorch does) when the layouts allow it.
        if (leaf.grad is { } existing && existing.dtype == g.dtype && existing.dtype is ScalarType.Float32 or ScalarType.Float64 && existing.is_contiguous() && Shape.Equal(existing.Sizes, g.Sizes))
        {
            existing.backend.AddInPlace(existing, g);
            return;
        }
        var fresh = Keep(leaf.grad is null ? g.clone() : leaf.grad + g);
        fresh.Storage.IsGradBuffer = true; // a new buffer only this .grad holds
        leaf.grad = fresh;
    }

    /// <summary>Nodes ordered so that each node comes before every node it depends on (outputs first).</summary>
    private static List<Node> TopologicalOrder(Node root)
    {
        var visited = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        var post = new List<Node>();
        var stack = new Stack<(Node node, int next)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (node, next) = stack.Pop();
            if (next < node.Edges.Length)
            {
                stack.Push((node, next + 1));
                var child = node.Edges[next].producer;
                if (child != null && visited.Add(child)) stack.Push((child, 0));
            }
            else
            {
                post.Add(node);
            }
        }
        post.Reverse();
        return post;
    }
}
