// Entry point of the pluginmoe CLI: the real console, environment and plugin folders.
using PluginMoE.Host.Cli;

return await new PluginMoeCli(CliEnvironment.FromProcess()).InvokeAsync(args).ConfigureAwait(false);
