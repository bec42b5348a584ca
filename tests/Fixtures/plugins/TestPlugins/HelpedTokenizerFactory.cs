// A working tokenizer plugin that uses its private dependency (resolved from the plugin folder).
using PluginMoE.Abstractions.Composition;
using PluginMoE.Abstractions.Data;
using PluginMoE.TestPlugins.Helper;

namespace PluginMoE.TestPlugins;

[ExportTokenizer("helped", Description = "Needs PluginMoE.TestPlugins.Helper")]
public sealed class HelpedTokenizerFactory : ITokenizerFactory
{
    public static string Greeting => HelperText.Greeting;

    public Type? OptionsType => null;

    public ITokenizer Create(object? options) => new CharTokenizer(Greeting);

    private sealed class CharTokenizer(string tag) : ITokenizer
    {
        public int VocabSize => 65536;

        public int[] Encode(string text) => [.. (tag + text).Select(c => (int)c)];

        public string Decode(ReadOnlySpan<int> ids)
        {
            var chars = new char[ids.Length];
            for (int i = 0; i < ids.Length; i++) chars[i] = (char)ids[i];
            return new string(chars);
        }
    }
}
