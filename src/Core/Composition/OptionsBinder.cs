// Binds a plugin's JSON options onto its options class (System.Text.Json, key by key so errors can name
// the key) and validates the result with DataAnnotations.
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

    public static object? Bind(IPluginFactory factory, JsonObject? options, string keyPath)
    {
        ArgumentNullException.ThrowIfNull(factory);
        keyPath ??= "";
        var type = factory.OptionsType;
        var plugin = factory.GetType().Name;
        if (type is null)
        {
            if (options is { Count: > 0 })
                throw new ArgumentException(
                    $"{keyPath}: plugin {plugin} takes no options, but {string.Join(", ", options.Select(kv => $"'{kv.Key}'"))} were given; remove them");
            return null;
        }

        var instance = Activator.CreateInstance(type)
            ?? throw new InvalidOperationException($"{keyPath}: could not create options {type.Name} of plugin {plugin} (it needs a public parameterless constructor)");
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToList();
        foreach (var (key, node) in options ?? [])
        {
            var property = properties.FirstOrDefault(p => string.Equals(p.Name, key, StringComparison.OrdinalIgnoreCase));
            if (property is null)
            {
                var known = string.Join(", ", properties.Select(p => p.Name));
                var closest = NameSuggestions.Closest(key, properties.Select(p => p.Name));
                throw new ArgumentException(
                    $"{Path(keyPath, key)}: unknown option of {plugin} (options class {type.Name}); known options: {known}" +
                    (closest is null ? "" : $"; did you mean '{closest}'?"));
            }
            property.SetValue(instance, Convert(node, property, keyPath, key, plugin));
        }

        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(instance, new ValidationContext(instance), results, validateAllProperties: true))
        {
            var lines = results.Select(r => Describe(r, instance, properties, keyPath));
            throw new ArgumentException($"invalid options for plugin {plugin}:\n\t" + string.Join("\n\t", lines));
        }
        return instance;
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
                $"{Path(keyPath, key)}: value {node?.ToJsonString() ?? "null"} is not a valid {TypeName(target)} (option {property.Name} of {plugin})", e);
        }
    }

    private static string Describe(ValidationResult r, object instance, List<PropertyInfo> properties, string keyPath)
    {
        var member = r.MemberNames.FirstOrDefault() ?? "";
        var property = properties.FirstOrDefault(p => p.Name == member);
        var value = property?.GetValue(instance);
        var shown = value is null ? "null" : JsonSerializer.Serialize(value, property!.PropertyType);
        var allowed = property?.GetCustomAttribute<AllowedValuesAttribute>() is { } a
            ? $"; allowed: {string.Join(", ", a.Values.Select(x => x?.ToString() ?? "null"))}"
            : "";
        return $"{Path(keyPath, member)}: value {shown} is invalid: {r.ErrorMessage}{allowed}";
    }

    private static string Path(string keyPath, string key) => keyPath.Length == 0 ? key : $"{keyPath}:{key}";

    private static string TypeName(Type t) => Nullable.GetUnderlyingType(t) is { } u ? TypeName(u) + "?" : t.Name switch
    {
        "Int32" => "integer",
        "Int64" => "integer",
        "Double" or "Single" => "number",
        "Boolean" => "boolean (true/false)",
        "String" => "string",
        _ => t.Name,
    };
}
