// `pluginmoe extend --moe DIR --expert DIR --out DIR [--domain NAME] [--embedding FILE] [--Merge:Lambda=x]`:
// appends one dense domain expert to an MoE (Nexus, "Extending with a new expert") through Core's
// ModelExtension: the strategy appends the FFN and mixes the non-FFN parameters, then every MoE layer's router
// is told AddExperts (nexus: the new domain embedding, no new parameters; linear: reset or expand).
using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Merging;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Model;
using PluginMoE.Tensors;

namespace PluginMoE.Host.Cli;

/// <summary>The <c>extend</c> command.</summary>
public static class ExtendCommand
{
    /// <summary>The arguments of one extension.</summary>
    public sealed record Arguments(string Moe, string Expert, string Out)
    {
        /// <summary>Merge strategy plugin that extends (default <c>extend</c>).</summary>
        public string Strategy { get; init; } = "extend";

        /// <summary>Domain name of the new expert (default: its folder name; a folder named 'model' takes its parent's name).</summary>
        public string? Domain { get; init; }

        /// <summary>Safetensors file with the new expert's domain embedding.</summary>
        public string? Embedding { get; init; }

        /// <summary>Seed of any new router parameters.</summary>
        public long InitSeed { get; init; }

        /// <summary>Replace an existing output folder.</summary>
        public bool Overwrite { get; init; }

        /// <summary>--Merge:* tokens.</summary>
        public IReadOnlyList<string> Overrides { get; init; } = [];
    }

    /// <summary>Builds the command.</summary>
    public static Command Create(CliEnvironment env, Option<bool> verbose)
    {
        ArgumentNullException.ThrowIfNull(env);
        var moe = new Option<string>("--moe") { Description = "The MoE checkpoint folder to extend", Required = true };
        var expert = new Option<string>("--expert") { Description = "The new dense expert checkpoint folder (same architecture, branched from the seed)", Required = true };
        var output = new Option<string>("--out") { Description = "Folder for the extended checkpoint (must not exist unless --overwrite)", Required = true };
        var domain = new Option<string?>("--domain") { Description = "Domain name of the new expert (default: its folder name; a folder named 'model' takes its parent's name)" };
        var embedding = new Option<string?>("--embedding") { Description = "Safetensors file with the new expert's domain embedding (m), named by domain or the file's only tensor (nexus)" };
        var strategy = new Option<string>("--strategy") { Description = "Merge strategy that extends (default: extend)", DefaultValueFactory = _ => "extend" };
        var initSeed = new Option<long>("--init-seed") { Description = "Seed of new router parameters (default 0)" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace the output folder if it exists" };
        var command = new Command("extend", "Append a dense expert to an MoE: n -> n + 1 experts (options: --Merge:Lambda=<x>, default 1/(n+1))")
        {
            moe, expert, output, domain, embedding, strategy, initSeed, overwrite,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, ct) => Task.FromResult(CommandAction.Execute(env, parse.GetValue(verbose), () =>
            Run(env, new Arguments(parse.GetValue(moe)!, parse.GetValue(expert)!, parse.GetValue(output)!)
            {
                Strategy = parse.GetValue(strategy) ?? "extend",
                Domain = parse.GetValue(domain),
                Embedding = parse.GetValue(embedding),
                InitSeed = parse.GetValue(initSeed),
                Overwrite = parse.GetValue(overwrite),
                Overrides = parse.UnmatchedTokens,
            }))));
        return command;
    }

    /// <summary>Runs one extension; returns the exit code.</summary>
    public static int Run(CliEnvironment env, Arguments args)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(args);
        var domain = args.Domain ?? MergeSupport.DomainFromFolder(env, args.Expert);
        var target = MergeSupport.CheckOut(env, args.Out, args.Overwrite, [args.Moe, args.Expert]);
        var plugins = MergeSupport.Plugins(env);
        var strategy = MergeSupport.Strategy(plugins, args.Strategy, "--strategy");
        var (mergeJson, routerJson) = MergeSupport.Overrides(args.Overrides);
        if (routerJson is not null)
            throw new ConfigurationException("--RouterOptions: extend keeps the MoE's router and its options (they are in its config.json); remove the --RouterOptions:* arguments");
        var options = MergeSupport.Bind(plugins.Catalog, strategy, mergeJson, "Merge");

        using var moe = MergeSupport.Open(env, "--moe", args.Moe);
        using var expert = MergeSupport.Open(env, "--expert", args.Expert);
        var embedding = args.Embedding is null ? null : MergeSupport.Embeddings(env, "--embedding", args.Embedding, [domain])[domain];

        // Core's one extension entry point: the strategy's Extend, then every layer's MoeLayer/router AddExperts.
        TransformerLM extended;
        try
        {
            var old = moe.Checkpoint;
            var loaded = TransformerLM.FromCheckpoint(old with { Tensors = old.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal) }, plugins.Catalog);
            extended = ModelExtension.Extend(loaded, strategy, new ExpertSource(domain, expert.Checkpoint, embedding), plugins.Catalog, new Generator(args.InitSeed), options);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or InvalidDataException or KeyNotFoundException)
        {
            throw new ConfigurationException(e.Message, e);
        }
        var result = extended.ToCheckpoint();
        var counts = extended.CountParameters();

        var provenance = new JsonObject
        {
            ["command"] = "extend",
            ["strategy"] = args.Strategy,
            ["options"] = PluginOptionsJson.From(options),
            ["created_utc"] = env.Now().ToString("O", CultureInfo.InvariantCulture),
            ["sources"] = new JsonArray(MergeSupport.Source("moe", moe), MergeSupport.Source("expert", expert, domain)),
            ["init_seed"] = args.InitSeed,
        };
        if (args.Embedding is not null) provenance["embeddings"] = MergeSupport.FileSource("embedding", Path.GetFullPath(args.Embedding, env.WorkingDirectory));
        var layout = MergeSupport.Write(target, result, provenance, args.Overwrite);
        var m = result.Config.Moe!;
        env.Out.WriteLine($"extended {m.NumExperts - 1} -> {m.NumExperts} experts with '{domain}' (router '{m.Router}'): {target} ({layout} layout)");
        env.Out.WriteLine(MergeSupport.Describe(counts));
        return ExitCodes.Success;
    }
}
