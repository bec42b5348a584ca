// Another plugin's options inside a plugin's options class (a wrapper plugin that builds an inner plugin by name, as
// multi-head routing builds its inner router): the JSON as configured, which is what checkpoints record, and the inner
// plugin's typed options, which the host binds once, when it binds the outer options (see PluginOptionsOfAttribute).
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace PluginMoE.Abstractions.Composition;

/// <summary>
/// The options of an inner plugin held by a wrapper plugin's options class. Declare the property with
/// <see cref="PluginOptionsOfAttribute"/> naming the sibling property that holds the inner plugin's name; when the host
/// binds the outer options it binds <see cref="Json"/> against the inner plugin's <see cref="IPluginFactory.OptionsType"/>
/// (errors name the full key path, e.g. <c>Model:Moe:RouterOptions:InnerOptions:JitterNoise</c>, and the inner plugin)
/// and stores the validated instance in <see cref="Value"/>. Hand <see cref="ForSpec"/> to the inner plugin's spec.
/// Serialised, it is <see cref="Json"/> exactly as configured (a checkpoint records what the user wrote).
/// </summary>
[JsonConverter(typeof(NestedPluginOptionsJsonConverter))]
public sealed class NestedPluginOptions
{
    /// <summary>Options as configured, not yet bound (the host binds them with the outer options).</summary>
    /// <param name="json">The inner plugin's options section, or null for its defaults.</param>
    public NestedPluginOptions(JsonObject? json) => Json = json;

    private NestedPluginOptions(JsonObject? json, object? value)
    {
        Json = json;
        Value = value;
        IsBound = true;
    }

    /// <summary>The inner plugin's options as configured (what a checkpoint's config records), or null for its defaults.</summary>
    public JsonObject? Json { get; }

    /// <summary>The inner plugin's bound and validated options (an instance of its options type), or null before binding or when it takes none.</summary>
    public object? Value { get; }

    /// <summary>True once the host has bound <see cref="Json"/> (then <see cref="Value"/> is the typed instance).</summary>
    public bool IsBound { get; }

    /// <summary>
    /// What to put in the inner plugin's spec (<c>RouterSpec.Options</c>, <c>ExpertSpec.Options</c>): <see cref="Value"/> once
    /// bound; before that (options built in code) a copy of <see cref="Json"/>, which <see cref="Routing.IRouterResolver"/> binds.
    /// </summary>
    public object? ForSpec => IsBound ? Value : Json?.DeepClone();

    /// <summary>These options with their bound form (called by the host's binder; the JSON form is kept).</summary>
    /// <param name="value">The instance bound from <see cref="Json"/>, or null when the inner plugin takes no options.</param>
    public NestedPluginOptions WithValue(object? value) => new(Json, value);
}

/// <summary>Reads and writes <see cref="NestedPluginOptions"/> as its <see cref="NestedPluginOptions.Json"/> object.</summary>
public sealed class NestedPluginOptionsJsonConverter : JsonConverter<NestedPluginOptions>
{
    /// <inheritdoc/>
    public override NestedPluginOptions Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new JsonException($"expected a JSON object (the inner plugin's options), got {reader.TokenType}");
        return new NestedPluginOptions(JsonNode.Parse(ref reader) as JsonObject);
    }

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, NestedPluginOptions value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value?.Json is null) writer.WriteNullValue();
        else value.Json.WriteTo(writer, options);
    }
}
