// The generic host (Microsoft.Extensions.Hosting) a run executes in, for its lifetime: the first SIGINT (Ctrl+C) or
// SIGTERM becomes a graceful stop (the stages save a checkpoint and the CLI exits 130 or 143) and a second one ends
// the process at once. Settings are not registered with it: HostSettings binds and validates every section once, and
// the stages take them typed (ProfileSettings), so no IOptions<T> is bound.
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PluginMoE.Host.Configuration;

namespace PluginMoE.Host;

/// <summary>Builds and starts the generic host for one invocation.</summary>
public static class HostRuntime
{
    /// <summary>Activates <paramref name="settings"/>' device, then builds and starts a host whose lifetime turns signals into a stop.</summary>
    public static IHost Start(HostSettings settings, bool handleConsoleSignals, TextWriter? deviceReport = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Devices.DeviceActivation.Report(deviceReport,
            Devices.DeviceActivation.Activate(settings.Run.Device, settings.Run.BackendDirectory, AppContext.BaseDirectory));
        // DisableDefaults: no configuration sources of its own (the settings were bound before) and no logging providers.
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<StopSignal>();
        if (handleConsoleSignals) builder.Services.AddSingleton<IHostLifetime, SignalLifetime>();
        else builder.Services.AddSingleton<IHostLifetime, InProcessLifetime>();
        var host = builder.Build();
        host.Start();
        return host;
    }

    /// <summary>A lifetime that leaves process signals alone (tests and embedding hosts).</summary>
    private sealed class InProcessLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>The first SIGINT/SIGTERM stops the application gracefully and is recorded; a second one is left to its default action (the process ends).</summary>
    private sealed class SignalLifetime(IHostApplicationLifetime application, StopSignal signal) : IHostLifetime, IDisposable
    {
        private readonly List<PosixSignalRegistration> _registrations = [];

        public Task WaitForStartAsync(CancellationToken cancellationToken)
        {
            _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle));
            _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle));
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose()
        {
            foreach (var r in _registrations) r.Dispose();
        }

        private void Handle(PosixSignalContext context)
        {
            if (signal.Received is not null) return;
            signal.Received = context.Signal;
            context.Cancel = true;
            application.StopApplication();
        }
    }
}
