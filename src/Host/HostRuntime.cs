// The generic host (Microsoft.Extensions.Hosting) a run executes in: the layered configuration, the
// validated options sections as IOptions<T> (ValidateOnStart), the settings and plugins as services, and the
// console lifetime, whose Ctrl+C / SIGTERM cancels the stages between steps (checkpoints keep the work).
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PluginMoE.Host.Configuration;

namespace PluginMoE.Host;

/// <summary>Builds and starts the generic host for one invocation.</summary>
public static class HostRuntime
{
    /// <summary>
    /// Builds and starts a host over <paramref name="settings"/>' configuration. Starting validates every
    /// options section again through the Options pipeline and throws <see cref="Microsoft.Extensions.Options.OptionsValidationException"/> on failure.
    /// </summary>
    public static IHost Start(HostSettings settings, bool handleConsoleSignals)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Devices.DeviceActivation.Activate(settings.Run.Device, settings.Run.BackendDirectory, AppContext.BaseDirectory);
        // DisableDefaults: no appsettings/environment/command-line sources of its own (the layered configuration is
        // the only one) and no logging providers; the console lifetime stays (SIGINT/SIGTERM stop the host).
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddConfiguration(settings.Source.Root);
        builder.Services.AddSingleton(settings);
        builder.Services
            .AddSectionOptions<RunOptions>(builder.Configuration)
            .AddSectionOptions<PluginsOptions>(builder.Configuration)
            .AddSectionOptions<TelemetryOptions>(builder.Configuration)
            .AddSectionOptions<ModelOptions>(builder.Configuration)
            .AddSectionOptions<DataOptions>(builder.Configuration)
            .AddSectionOptions<TrainingOptions>(builder.Configuration);
        if (!handleConsoleSignals) builder.Services.AddSingleton<IHostLifetime, InProcessLifetime>();
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
}
