// The host's view of PluginMoE's telemetry: the ActivitySource and Meter name Core's recipe instruments use
// (RecipeTelemetry), which the host's exporters subscribe to and the server's own instruments share.
using System.Diagnostics;
using PluginMoE.Core.Recipe.Services;

namespace PluginMoE.Host.Telemetry;

/// <summary>Names and the shared ActivitySource of PluginMoE's telemetry.</summary>
public static class PluginMoeTelemetry
{
    /// <summary>Name of the ActivitySource and of the Meters.</summary>
    public const string Name = RecipeTelemetry.Name;

    /// <summary>Spans: <c>stage</c>, <c>evaluate</c>, <c>checkpoint</c> (Core's) and the server's requests.</summary>
    public static ActivitySource Source => RecipeTelemetry.Source;
}
