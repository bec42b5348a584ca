// Which device a host-memory storage array belongs to ("cpu" unless tagged "torch-cpu"). Views share their
// storage array, so they share its tag without carrying a field. This is the device part of the storage seam
// until Tensor's storage abstraction (backend-owned buffers, for CUDA) carries the device itself.
using System.Runtime.CompilerServices;

namespace PluginMoE.Tensors;

/// <summary>Device tags of host-memory storage arrays.</summary>
internal static class StorageDevices
{
    private static readonly ConditionalWeakTable<Array, Device> Tags = new();
    private static volatile bool _anyTagged;

    /// <summary>Marks <paramref name="storage"/> as belonging to <paramref name="device"/> (a host-memory device).</summary>
    public static void Tag(Array storage, Device device)
    {
        if (device.type == DeviceType.CPU) { Tags.Remove(storage); return; }
        if (!device.IsHostMemory) throw new ArgumentException($"device '{device}' does not keep tensors in host memory", nameof(device));
        Tags.AddOrUpdate(storage, device);
        _anyTagged = true;
    }

    /// <summary>The device of <paramref name="storage"/>.</summary>
    public static Device Of(Array storage) =>
        _anyTagged && Tags.TryGetValue(storage, out var d) ? d : Device.CPU;

    /// <summary>
    /// Throws when <paramref name="a"/> and <paramref name="b"/> are on different devices (a 0-dim cpu tensor mixes
    /// with any device, as in PyTorch).
    /// </summary>
    /// <exception cref="InvalidOperationException">The devices differ; the message names both.</exception>
    public static void CheckSame(Tensor a, Tensor b, string op)
    {
        if (!_anyTagged) return;
        var da = a.device; var db = b.device;
        if (da == db) return;
        if ((da.type == DeviceType.CPU && a.Sizes.Length == 0) || (db.type == DeviceType.CPU && b.Sizes.Length == 0)) return;
        throw new InvalidOperationException(
            $"{op}: expected all tensors on one device, but found two: '{da}' and '{db}'; move one with .to(device) first");
    }
}
