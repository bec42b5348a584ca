// One counting sort of the N*k token slots by expert, computed once per MoE forward and used by the gather, the
// weighting, the scatter-add back (and so by their backward passes, which reuse the same index tensors) and the
// per-expert counts: no bincount, argsort or repeat_interleave tensors. Experts that expose IGroupedFfnExpert are
// ordered first, by group (one kind, shape, dtype and device), so each group's rows are contiguous for its grouped GEMMs.
// An always-on shared expert whose grouped form matches a group joins it: its N rows (every token, weight 1) lead that
// group's rows, so it runs in the same grouped GEMMs as the routed experts (one pass over all rows per projection).
using System.Buffers;
using PluginMoE.Abstractions.Experts;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Moe;

/// <summary>The expert-sorted order of a routing decision and the segments the experts run on.</summary>
internal sealed class DispatchPlan
{
    /// <summary>A run of sorted rows: one grouped FFN over several experts, or one expert through its own forward.</summary>
    /// <param name="Start">First sorted row.</param>
    /// <param name="Rows">Number of rows.</param>
    /// <param name="Experts">The experts of the segment, in row order (one for a looped expert).</param>
    /// <param name="Counts">Rows per expert of the segment (zeros allowed in a group).</param>
    /// <param name="Weights">The group's weights, in the order of <paramref name="Experts"/>; null for a looped expert.</param>
    internal sealed record Segment(long Start, long Rows, int[] Experts, long[] Counts, GroupedFfnWeights[]? Weights);

    private DispatchPlan(Tensor token, Tensor slot, long[] expertCounts, List<Segment> segments, bool sharedJoined)
    {
        Token = token;
        Slot = slot;
        ExpertCounts = expertCounts;
        Segments = segments;
        SharedJoined = sharedJoined;
    }

    /// <summary>(N*k) int64, or (N*k + N) when <see cref="SharedJoined"/>: the token of each sorted row.</summary>
    public Tensor Token { get; }

    /// <summary>
    /// (N*k) int64: the flat (token, choice) slot id of each sorted row; when <see cref="SharedJoined"/>, (N*k + N) with
    /// the shared expert's rows pointing at slot N*k (the one past the last, where the dispatch puts a weight of 1).
    /// </summary>
    public Tensor Slot { get; }

    /// <summary>Whether the shared expert's rows are part of a group segment (its id in the segment's experts is -1).</summary>
    public bool SharedJoined { get; }

    /// <summary>Slots routed to each expert, by expert id.</summary>
    public long[] ExpertCounts { get; }

    /// <summary>The segments in sorted-row order.</summary>
    public IReadOnlyList<Segment> Segments { get; }

    /// <summary>Sorts the slots of <paramref name="indices"/> (N, k) by expert, grouped experts first when <paramref name="grouped"/>.</summary>
    /// <param name="indices">(N, k) expert ids.</param>
    /// <param name="experts">The routed experts, by id.</param>
    /// <param name="grouped">Whether grouped experts are sorted into group segments.</param>
    /// <param name="device">Where the index tensors go.</param>
    /// <param name="shared">The shared expert's grouped weights, or null: when <paramref name="grouped"/> and they have the
    /// kind, shapes, dtype and device of a group, the N tokens in order lead that group's rows (expert id -1).</param>
    /// <exception cref="ArgumentException">An expert id is outside [0, experts.Count).</exception>
    public static DispatchPlan Create(Tensor indices, IReadOnlyList<IExpert> experts, bool grouped, Device device, GroupedFfnWeights? shared = null)
    {
        var idsTensor = indices.to(int64);
        int slots = checked((int)idsTensor.numel());
        // Host-side index lists in rented buffers (N*k longs each, four times the tokens under multi-head routing):
        // nothing per call for the GC; the index tensors' storage comes from the backend's pool.
        var pool = ArrayPool<long>.Shared;
        var ids = pool.Rent(slots);
        long[]? token = null, slot = null;
        try
        {
            idsTensor.copy_to_span(ids.AsSpan(0, slots)); // (N*k) row-major: slot s is token s / k
            return Create(ids.AsSpan(0, slots), indices.size(0), indices.size(1), experts, grouped, device, shared, ref token, ref slot);
        }
        finally
        {
            pool.Return(ids);
            if (token is not null) pool.Return(token);
            if (slot is not null) pool.Return(slot);
        }
    }

    private static DispatchPlan Create(ReadOnlySpan<long> ids, long tokensN, long k, IReadOnlyList<IExpert> experts, bool grouped, Device device,
        GroupedFfnWeights? shared, ref long[]? token, ref long[]? slot)
    {
        int numExperts = experts.Count;
        var counts = new long[numExperts];
        foreach (long id in ids)
        {
            if (id < 0 || id >= numExperts)
                throw new ArgumentException($"dispatch: the router chose expert id {id}, but the layer has {numExperts} experts (ids 0..{numExperts - 1})");
            counts[id]++;
        }

        // Rank of each expert in the sorted order: grouped experts by group (groups in order of their first expert),
        // then every other expert by id.
        var groups = new List<(string key, List<int> members, List<GroupedFfnWeights> weights)>();
        var looped = new List<int>();
        for (int e = 0; e < numExperts; e++)
        {
            if (grouped && experts[e] is IGroupedFfnExpert g && g.GroupedWeights is { } w && Groupable(w, e, experts[e]))
            {
                string key = GroupKey(w);
                int at = groups.FindIndex(x => x.key == key);
                if (at < 0) groups.Add((key, [e], [w]));
                else
                {
                    groups[at].members.Add(e);
                    groups[at].weights.Add(w);
                }
            }
            else looped.Add(e);
        }
        string? sharedKey = grouped && shared is not null && shared.Kind == GroupedFfnKind.SwiGlu && shared.Gate is not null ? GroupKey(shared) : null;
        int sharedGroup = sharedKey is null ? -1 : groups.FindIndex(x => x.key == sharedKey);
        long sharedStart = -1;
        var start = new long[numExperts]; // first sorted row of each expert
        var segments = new List<Segment>();
        long row = 0;
        for (int gi = 0; gi < groups.Count; gi++)
        {
            var (_, members, weights) = groups[gi];
            long first = row;
            bool withShared = gi == sharedGroup;
            var c = new long[members.Count + (withShared ? 1 : 0)];
            if (withShared)
            {
                sharedStart = row;
                c[0] = tokensN;
                row += tokensN;
            }
            for (int i = 0; i < members.Count; i++)
            {
                start[members[i]] = row;
                c[i + (withShared ? 1 : 0)] = counts[members[i]];
                row += counts[members[i]];
            }
            if (row > first)
                segments.Add(withShared
                    ? new Segment(first, row - first, [-1, .. members], c, [shared!, .. weights])
                    : new Segment(first, row - first, [.. members], c, [.. weights]));
        }
        foreach (int e in looped)
        {
            start[e] = row;
            if (counts[e] > 0) segments.Add(new Segment(row, counts[e], [e], [counts[e]], null)); // an idle expert costs nothing
            row += counts[e];
        }

        // Stable counting sort: token order is kept within an expert.
        long extra = sharedStart >= 0 ? tokensN : 0;
        int rows = checked((int)(ids.Length + extra));
        token = ArrayPool<long>.Shared.Rent(rows);
        slot = ArrayPool<long>.Shared.Rent(rows);
        var next = (long[])start.Clone();
        for (int s = 0; s < ids.Length; s++)
        {
            long at = next[ids[s]]++;
            token[at] = s / k;
            slot[at] = s;
        }
        for (long t = 0; t < extra; t++)
        {
            token[sharedStart + t] = t;
            slot[sharedStart + t] = ids.Length; // the weight 1 the dispatch appends
        }
        return new DispatchPlan(from_span<long>(token.AsSpan(0, rows)).to(device), from_span<long>(slot.AsSpan(0, rows)).to(device), counts, segments, sharedStart >= 0);
    }

    /// <summary>Whether this Core knows the form (a kind from a newer contract runs through the expert's forward).</summary>
    /// <exception cref="ArgumentException">The weights lack a matrix their kind needs.</exception>
    private static bool Groupable(GroupedFfnWeights w, int id, IExpert expert)
    {
        if (w.Kind != GroupedFfnKind.SwiGlu) return false;
        if (w.Gate is null || w.Up is null || w.Down is null)
            throw new ArgumentException(
                $"dispatch: expert {id} ({expert.GetType().Name}) reports {w.Kind} grouped weights without {(w.Gate is null ? "Gate" : w.Up is null ? "Up" : "Down")}; " +
                "a SwiGlu expert must give Gate, Up and Down (or return null from GroupedWeights to run through its forward)");
        return true;
    }

    private static string GroupKey(GroupedFfnWeights w)
    {
        static string Describe(Tensor? t) => t is null ? "-" : $"{t.dtype}{string.Join('x', t.shape)}@{t.device}";
        return $"{w.Kind}|{Describe(w.Gate)}|{Describe(w.Up)}|{Describe(w.Down)}";
    }
}
