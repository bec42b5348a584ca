// Run:Device: makes the configured device the default for the run. 'cpu' needs nothing; 'torch-cpu', 'cuda' and
// 'cuda:N' load the LibTorch backend (PluginMoE.Tensors.Torch) from its own folder, like a plugin folder, so
// that a default build of the host neither references nor carries TorchSharp and LibTorch.
using System.Reflection;
using PluginMoE.Core.Composition;
using PluginMoE.Host.Plugins;
using PluginMoE.Tensors;

namespace PluginMoE.Host.Devices;

/// <summary>Selects the run's device and loads its backend when it is not built in.</summary>
public static class DeviceActivation
{
    /// <summary>File name of the LibTorch backend assembly.</summary>
    public const string TorchBackendAssembly = "PluginMoE.Tensors.Torch.dll";

    /// <summary>Default folder of the LibTorch backend, relative to the host's own folder.</summary>
    public const string DefaultTorchFolder = "backends/torch";

    private static readonly Lock Gate = new();
    private static PluginLoadContext? _torchContext;

    /// <summary>
    /// Parses <paramref name="device"/>, loads its backend when needed (from <paramref name="backendDirectory"/>, or
    /// <see cref="DefaultTorchFolder"/> beside the host) and makes it the default device for tensors created from
    /// now on. Returns a one-line account for the progress output.
    /// </summary>
    /// <exception cref="ConfigurationException">The device string is malformed, the backend folder is missing, or the backend cannot serve the device.</exception>
    public static string Activate(string? device, string? backendDirectory, string baseDirectory)
    {
        Device parsed;
        try { parsed = Device.Parse(string.IsNullOrWhiteSpace(device) ? "cpu" : device); }
        catch (ArgumentException e) { throw new ConfigurationException($"Run:Device: {e.Message}", e); }
        if (parsed.type == DeviceType.CPU)
        {
            torch.set_default_device(parsed);
            return "device: cpu (built-in kernels)";
        }
        string loaderStatus = LoadTorchBackend(backendDirectory, baseDirectory);
        try { torch.set_default_device(parsed); }
        catch (NotSupportedException e) { throw new ConfigurationException($"Run:Device = '{device}': {e.Message}", e); }
        return $"device: {parsed} (LibTorch backend; {loaderStatus})";
    }

    /// <summary>Writes <paramref name="activated"/> (what <see cref="Activate"/> returned) to <paramref name="writer"/> unless the device is the built-in cpu.</summary>
    public static void Report(TextWriter? writer, string activated)
    {
        ArgumentNullException.ThrowIfNull(activated);
        if (writer is not null && !activated.StartsWith("device: cpu ", StringComparison.Ordinal)) writer.WriteLine(activated);
    }

    /// <summary>Loads PluginMoE.Tensors.Torch from its folder once and registers its devices.</summary>
    private static string LoadTorchBackend(string? backendDirectory, string baseDirectory)
    {
        lock (Gate)
        {
            string folder = Path.GetFullPath(string.IsNullOrWhiteSpace(backendDirectory)
                ? Path.Combine(baseDirectory, DefaultTorchFolder)
                : backendDirectory, baseDirectory);
            string dll = Path.Combine(folder, TorchBackendAssembly);
            if (!File.Exists(dll))
                throw new ConfigurationException(
                    $"Run:Device needs the LibTorch backend, but '{dll}' does not exist. Build the host with it " +
                    "(dotnet build src/Host -c Release -p:IncludeTorchBackend=true puts it in backends/torch beside pluginmoe), " +
                    "or set Run:BackendDirectory to a folder with the build output of src/Tensors.Torch.");
            if (_torchContext is null)
            {
                var context = new PluginLoadContext(folder);
                context.AddComponent(dll);
                _torchContext = context;
            }
            var assembly = _torchContext.LoadFromAssemblyPath(dll);
            var backend = assembly.GetType("PluginMoE.Tensors.Torch.TorchBackend", throwOnError: true)!;
            var register = backend.GetMethod("Register", BindingFlags.Public | BindingFlags.Static, Type.EmptyTypes)
                ?? throw new ConfigurationException($"{dll} has no TorchBackend.Register(); rebuild it from this version of PluginMoE");
            try { return (string)register.Invoke(null, null)!; }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                throw new ConfigurationException($"Run:Device: the LibTorch backend in '{folder}' could not start: {e.InnerException.Message}", e.InnerException);
            }
        }
    }
}
