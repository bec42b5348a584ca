// What a stage is given: the validated settings, the run folder, the plugins and the console.
using PluginMoE.Host.Configuration;
using PluginMoE.Host.Console;

namespace PluginMoE.Host.Stages;

/// <summary>Everything a stage needs from the host.</summary>
/// <param name="Settings">The validated settings.</param>
/// <param name="Run">The run folder.</param>
/// <param name="Plugins">Discovered plugins.</param>
/// <param name="Progress">Progress bars or lines.</param>
public sealed record StageContext(HostSettings Settings, RunFolder Run, IPluginProvider Plugins, IProgressReporter Progress);
