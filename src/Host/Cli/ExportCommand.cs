// `pluginmoe export --checkpoint DIR --out DIR [--layout auto|llama|mixtral|deepseek-moe|pluginmoe]`: writes the
// inference form of a model (every router swapped for its ToInference form, config rewritten) in a checkpoint layout,
// or explains why the requested layout cannot hold it. A frozen Nexus MoE with its shared expert becomes DeepSeek-MoE.
using System.CommandLine;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Core.Checkpoints;
using PluginMoE.Core.Composition;

namespace PluginMoE.Host.Cli;

/// <summary>The <c>export</c> command.</summary>
public static class ExportCommand
{
    private static readonly Dictionary<string, CheckpointLayout> Layouts = new(StringComparer.OrdinalIgnoreCase)
    {
        ["auto"] = CheckpointLayout.Auto,
        ["llama"] = CheckpointLayout.Llama,
        ["mixtral"] = CheckpointLayout.Mixtral,
        ["deepseek-moe"] = CheckpointLayout.DeepSeekMoe,
        ["pluginmoe"] = CheckpointLayout.PluginMoE,
    };

    /// <summary>Builds the command.</summary>
    public static Command Create(CliEnvironment env, Option<bool> verbose)
    {
        ArgumentNullException.ThrowIfNull(env);
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint folder to export (any layout)", Required = true };
        var output = new Option<string>("--out") { Description = "Folder to write the inference checkpoint to (replaced if it exists)", Required = true };
        var layout = new Option<string>("--layout")
        {
            Description = "auto (the most widely readable layout that holds the model), llama, mixtral, deepseek-moe or pluginmoe",
            DefaultValueFactory = _ => "auto",
        };
        var command = new Command("export", "Write a model's inference form (frozen routers) in a Hugging Face or the PluginMoE layout") { checkpoint, output, layout };
        command.SetAction((parse, _) => Task.FromResult(CommandAction.Execute(env, parse.GetValue(verbose), () =>
            Run(env, parse.GetValue(checkpoint)!, parse.GetValue(output)!, parse.GetValue(layout)!))));
        return command;
    }

    private static int Run(CliEnvironment env, string checkpoint, string output, string layoutName)
    {
        if (!Layouts.TryGetValue(layoutName, out var layout))
            throw new ConfigurationException($"--layout: '{layoutName}' is not a layout; use one of {string.Join(", ", Layouts.Keys)}");
        string source = Path.GetFullPath(checkpoint, env.WorkingDirectory);
        string target = Path.GetFullPath(output, env.WorkingDirectory);
        if (string.Equals(source.TrimEnd(Path.DirectorySeparatorChar), target.TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal))
            throw new ConfigurationException($"--out: '{target}' is the checkpoint being exported; write the export to another folder");

        var model = CheckpointInput.Load(env, checkpoint);
        string trainingRouter = model.Config.Moe?.Router ?? "";
        model.ToInference();
        var full = model.ToCheckpoint();
        // Domain embeddings only matter for extending the model later; Hugging Face layouts have no name for them.
        var lean = full with { Tensors = full.Tensors.Where(kv => kv.Key != CanonicalNames.DomainEmbeddings).ToDictionary(kv => kv.Key, kv => kv.Value) };
        bool hasDomains = lean.Tensors.Count != full.Tensors.Count;

        CheckpointLayout written;
        try
        {
            written = layout == CheckpointLayout.PluginMoE ? CheckpointStore.Save(target, full, layout) : CheckpointStore.Save(target, lean, layout);
            if (written == CheckpointLayout.PluginMoE && hasDomains && layout == CheckpointLayout.Auto)
                written = CheckpointStore.Save(target, full, CheckpointLayout.PluginMoE); // no HF layout fits: keep everything
        }
        catch (ArgumentException e)
        {
            throw new ConfigurationException($"--layout {layoutName}: {e.Message}", e);
        }

        var name = Layouts.First(kv => kv.Value == written).Key;
        string routers = model.Config.Moe is { } moe
            ? trainingRouter == moe.Router ? $", router '{moe.Router}'" : $", router '{trainingRouter}' frozen into '{moe.Router}'"
            : "";
        env.Out.WriteLine($"exported {name} checkpoint to {target}{routers}");
        if (hasDomains && written != CheckpointLayout.PluginMoE)
            env.Out.WriteLine($"note: the domain embeddings ({CanonicalNames.DomainEmbeddings}) are not part of the {name} layout and were left out; export with --layout pluginmoe to keep them for later extension");
        return ExitCodes.Success;
    }
}
