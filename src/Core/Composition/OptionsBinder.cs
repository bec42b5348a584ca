// Binds a plugin's JSON options onto its options class (System.Text.Json, key by key so errors can name
// the key) and validates the result with DataAnnotations. Options of an inner plugin held by a wrapper's options
// ([PluginOptionsOf] NestedPluginOptions properties) are bound in the same pass against the inner plugin's options type.
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Composition;

namespace PluginMoE.Core.Composition;

/// <summary>JSON options to a validated options instance, with errors that name the key path.</summary>
internal static class OptionsBinder
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        // Configuration providers (environment variables, command line) deliver every value as a string.
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowReadingFromString,
    };

    /// <summary>
    /// Binds and validates <paramref name="options"/>; every problem (unknown keys, values of the wrong type, values the
    /// options class rejects) is one line of the <see cref="ArgumentException"/>'s message, naming the key path and the plugin.
    /// Nested plugin options (<see cref="PluginOptionsOfAttribute"/>) are bound against the plugin <paramref name="plugins"/>
    /// resolves by kind and name; their errors name the full key path and the inner plugin.
    /// </summary>
    public static object? Bind(IPluginFactory factory, JsonObject? options, string keyPath, Func<PluginKind, string, IPluginFactory>? plugins = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        keyPath ??= "";
        var type = factory.OptionsType;
        var plugin = PluginName(factory);
        if (type is null)
        {
            if (options is { Count: > 0 })
                throw new ArgumentException(
                    $"{keyPath.TrimEnd('.')}: {plugin} takes no options, but {string.Join(", ", options.Select(kv => $"'{kv.Key}'"))} were given; remove them");
            return null;
        }

        object? created;
        try { created = Activator.CreateInstance(type); }
        catch (TargetInvocationException e) when (e.InnerException is { } thrown)
        {
            throw new ArgumentException(
                $"{keyPath.TrimEnd('.', ':')}: the options of {plugin} cannot be created: its options class {type.Name} threw " +
                $"{thrown.GetType().Name}: {PluginMessage(thrown)}; this is a fault of the plugin (report it to its vendor)", e);
        }
        var instance = created
            ?? throw new InvalidOperationException($"{keyPath.TrimEnd('.')}: could not create the options of {plugin} (its options class {type.Name} needs a public parameterless constructor)");
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToList();
        var errors = new List<string>();
        var failed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, node) in options ?? [])
        {
            var property = properties.FirstOrDefault(p => string.Equals(p.Name, key, StringComparison.OrdinalIgnoreCase));
            if (property is null)
            {
                var known = string.Join(", ", properties.Select(p => p.Name));
                var closest = NameSuggestions.Closest(key, properties.Select(p => p.Name));
                errors.Add($"{Path(keyPath, key)}: unknown option of {plugin}; known options: {known}" +
                    (closest is null ? "" : $"; did you mean '{closest}'?"));
                continue;
            }
            try { property.SetValue(instance, Convert(node, property, keyPath, key, plugin)); }
            catch (ArgumentException e)
            {
                errors.Add(e.Message);
                failed.Add(property.Name);
            }
            catch (TargetInvocationException e) when (e.InnerException is { } refused)
            {
                // The plugin's own setter refused the value.
                errors.Add($"{Path(keyPath, key)}: value {node?.ToJsonString() ?? "null"} is refused by {plugin}: {PluginMessage(refused)}");
                failed.Add(property.Name);
            }
        }

        foreach (var property in properties)
            if (property.GetCustomAttribute<PluginOptionsOfAttribute>() is { } of && !failed.Contains(property.Name))
                BindNested(instance, property, of, properties, keyPath, plugin, plugins, errors, failed);

        // Values that failed to convert kept their defaults; validating those would only add noise.
        var results = new List<ValidationResult>();
        try { Validator.TryValidateObject(instance, new ValidationContext(instance), results, validateAllProperties: true); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            errors.Add($"{keyPath.TrimEnd('.', ':')}: the options validation of {plugin} failed with {e.GetType().Name}: {PluginMessage(e)}; " +
                "this is a fault of the plugin (report it to its vendor), or try other values of its options");
        }
        errors.AddRange(results.Where(r => !failed.Contains(r.MemberNames.FirstOrDefault() ?? "")).Select(r => Describe(r, instance, properties, keyPath, plugin)));
        if (errors.Count > 0) throw new ArgumentException(string.Join("\n", errors));
        return instance;
    }

    // A wrapper's inner plugin options: the plugin named by the sibling property, its options bound from the nested JSON
    // (its defaults when absent) and kept beside that JSON, which stays the persisted form.
    private static void BindNested(
        object instance, PropertyInfo property, PluginOptionsOfAttribute of, List<PropertyInfo> properties, string keyPath, string plugin,
        Func<PluginKind, string, IPluginFactory>? plugins, List<string> errors, HashSet<string> failed)
    {
        var type = instance.GetType();
        if (property.PropertyType != typeof(NestedPluginOptions))
            throw new InvalidOperationException($"{plugin}: options class {type.Name} marks {property.Name} with [PluginOptionsOf], which needs a property of type {nameof(NestedPluginOptions)}");
        var nameProperty = properties.FirstOrDefault(p => p.Name == of.PluginProperty && p.PropertyType == typeof(string))
            ?? throw new InvalidOperationException($"{plugin}: options class {type.Name} marks {property.Name} with [PluginOptionsOf(..., \"{of.PluginProperty}\")], but has no public string property {of.PluginProperty}");
        if (failed.Contains(nameProperty.Name)) return;
        var current = (NestedPluginOptions?)property.GetValue(instance);
        var name = (string?)nameProperty.GetValue(instance);
        string kind = KindName(of.Kind);
        if (string.IsNullOrWhiteSpace(name))
        {
            // A missing name is reported by the options class's own validation ([Required]) when it requires one.
            if (current?.Json is { Count: > 0 })
                errors.Add($"{Path(keyPath, property.Name)}: options given but no {kind} plugin is named; set {Path(keyPath, nameProperty.Name)} ({plugin})");
            return;
        }
        if (plugins is null)
            throw new InvalidOperationException($"{Path(keyPath, property.Name)}: binding the options of {kind} plugin '{name}' needs a plugin catalog");
        IPluginFactory inner;
        try { inner = plugins(of.Kind, name); }
        catch (Exception e) when (e is KeyNotFoundException or PluginUnavailableException)
        {
            errors.Add($"{Path(keyPath, nameProperty.Name)}: {e.Message}");
            failed.Add(nameProperty.Name);
            return;
        }
        try
        {
            var value = Bind(inner, current?.Json, Nested(keyPath, property.Name), plugins);
            property.SetValue(instance, (current ?? new NestedPluginOptions(null)).WithValue(value));
        }
        catch (ArgumentException e)
        {
            errors.Add(e.Message);
            failed.Add(property.Name);
        }
    }

    private static string KindName(PluginKind kind) =>
        string.Concat(kind.ToString().Select((ch, i) => i > 0 && char.IsUpper(ch) ? " " + char.ToLowerInvariant(ch) : char.ToLowerInvariant(ch).ToString()));

    // "router plugin 'linear'" from the factory's export attribute; the class name for a factory that has none.
    private static string PluginName(IPluginFactory factory)
    {
        var export = factory.GetType().GetCustomAttributes(typeof(PluginExportAttribute), inherit: false).OfType<PluginExportAttribute>().FirstOrDefault();
        if (export is null) return $"plugin {factory.GetType().Name}";
        string kind = string.Concat(export.Kind.Select((ch, i) => i > 0 && char.IsUpper(ch) ? " " + char.ToLowerInvariant(ch) : char.ToLowerInvariant(ch).ToString()));
        return $"{kind} plugin '{export.Name}'";
    }

    private static object? Convert(JsonNode? node, PropertyInfo property, string keyPath, string key, string plugin)
    {
        var target = property.PropertyType;
        try
        {
            // A "true"/"false" string from a configuration provider binds to a bool, as the configuration binder does.
            if ((target == typeof(bool) || target == typeof(bool?)) && node is JsonValue v && v.TryGetValue<string>(out var s) && bool.TryParse(s, out var b))
                return b;
            return node is null ? null : node.Deserialize(target, Json);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new ArgumentException(
                $"{Path(keyPath, key)}: value {node?.ToJsonString() ?? "null"} is not a valid {TypeName(target)} ({plugin})", e);
        }
    }

    private static string Describe(ValidationResult r, object instance, List<PropertyInfo> properties, string keyPath, string plugin)
    {
        var member = r.MemberNames.FirstOrDefault() ?? "";
        var property = properties.FirstOrDefault(p => p.Name == member);
        var value = property?.GetValue(instance);
        var shown = value is null ? "null" : JsonSerializer.Serialize(value, property!.PropertyType);
        var allowed = property?.GetCustomAttribute<AllowedValuesAttribute>() is { } a
            ? $"; allowed: {string.Join(", ", a.Values.Select(x => x?.ToString() ?? "null"))}"
            : "";
        return $"{Path(keyPath, member)}: value {shown} is invalid: {r.ErrorMessage}{allowed} ({plugin})";
    }

    // "Model:Moe:RouterOptions:Normalise"; a key path ending in '.' (config.json keys) joins with '.' instead.
    private static string Path(string keyPath, string key) => keyPath.Length == 0 || keyPath.EndsWith('.') ? keyPath + key : $"{keyPath}:{key}";

    // The key path of a nested options section: config.json paths keep ending in '.'.
    private static string Nested(string keyPath, string key) => keyPath.EndsWith('.') ? keyPath + key + "." : Path(keyPath, key);

    private static string TypeName(Type t) => Nullable.GetUnderlyingType(t) is { } u ? TypeName(u) : t.Name switch
    {
        "Int32" => "integer",
        "Int64" => "integer",
        "Double" or "Single" => "number",
        "Boolean" => "boolean (true/false)",
        "String" => "string",
        nameof(NestedPluginOptions) => "JSON object (the inner plugin's options)",
        _ when ElementType(t) is { } element => $"JSON array of {Plural(element)}",
        _ when t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Dictionary<,>) =>
            $"JSON object mapping names to {Plural(t.GetGenericArguments()[1])}",
        _ when t.IsEnum => $"one of {string.Join(", ", Enum.GetNames(t))}",
        _ when t.IsClass => $"{t.Name} (a JSON object)",
        _ => t.Name,
    };

    // A plugin exception's message without the framework's " (Parameter 'value')" and "Actual value was" tails.
    private static string PluginMessage(Exception e) => e.Message.Split(" (Parameter '")[0].Split('\n')[0].TrimEnd();

    private static Type? ElementType(Type t) =>
        t.IsArray ? t.GetElementType() : t.IsGenericType && t.GetGenericTypeDefinition() == typeof(List<>) ? t.GetGenericArguments()[0] : null;

    // "strings", "arrays of integers": the values of a list or map, as an error message names them.
    private static string Plural(Type t) => ElementType(t) is { } element ? $"arrays of {Plural(element)}"
        : TypeName(t) is var name && name is "integer" or "number" or "string" ? name + "s" : $"{name} values";
}
