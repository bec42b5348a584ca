// Generation with the KV cache equals a naive loop of full forwards (greedy and sampled, with sliding), is
// deterministic for a seed, honours the token budget and the context policy, and streams whole characters.
using PluginMoE.Core.Inference;
using PluginMoE.Core.Model;
using PluginMoE.Core.Text;
using PluginMoE.Tensors;
using static PluginMoE.Core.Tests.Inference.InferenceModels;

namespace PluginMoE.Core.Tests.Inference;

public class TextGeneratorTests
{
    /// <summary>The reference: every step runs the full forward over the visible tokens (no cache), sliding as documented.</summary>
    private static List<int> NaiveGenerate(TransformerLM model, int[] prompt, GenerationOptions options)
    {
        int context = model.Config.MaxPositionEmbeddings;
        var window = prompt.TakeLast(context).ToList();
        var generator = new Generator(options.Seed);
        var output = new List<int>();
        while (output.Count < options.MaxTokens)
        {
            var logits = FullLastLogits(model, window).Select(l => (float)l).ToArray();
            int next = TokenSampler.Sample(logits, options.Temperature, options.TopP, generator);
            output.Add(next);
            if (window.Count == context && options.OnContextFull == ContextOverflow.Stop) break;
            window.Add(next);
            if (window.Count > context) window = window.TakeLast(context / 2).ToList();
        }
        return output;
    }

    private static List<int> Ids(TransformerLM model, string prompt, GenerationOptions options) =>
        [.. TextGenerator.Stream(model, ByteTokenizer.Instance, prompt, options).Select(t => t.Id)];

    [Theory]
    [InlineData("dense", 0.0, 1.0)]
    [InlineData("moe", 0.0, 1.0)]
    [InlineData("gqa", 1.0, 0.9)]
    [InlineData("moe", 0.8, 1.0)]
    public void Stream_EqualsANaiveLoopOfFullForwards(string config, double temperature, double topP)
    {
        var model = Build(ByName(config));
        var options = new GenerationOptions { MaxTokens = 12, Temperature = temperature, TopP = topP, Seed = 17 };
        Assert.Equal(NaiveGenerate(model, ByteTokenizer.Instance.Encode("Hello"), options), Ids(model, "Hello", options));
    }

    [Fact]
    public void Stream_PastTheContextWithSlide_KeepsGoingAndEqualsTheNaiveSlidingLoop()
    {
        var model = Build(Dense); // 24 positions: a 10-byte prompt + 40 tokens slides several times
        var options = new GenerationOptions { MaxTokens = 40, Temperature = 1.0, Seed = 3 };
        var ids = Ids(model, "0123456789", options);
        Assert.Equal(40, ids.Count);
        Assert.Equal(NaiveGenerate(model, ByteTokenizer.Instance.Encode("0123456789"), options), ids);
    }

    [Fact]
    public void Stream_WithStop_EndsWhenTheContextIsFull()
    {
        var model = Build(Dense);
        var options = new GenerationOptions { MaxTokens = 100, Temperature = 0, OnContextFull = ContextOverflow.Stop };
        Assert.Equal(24 - 10 + 1, Ids(model, "0123456789", options).Count);
    }

    [Fact]
    public void Stream_PromptLongerThanTheContext_KeepsItsLastTokens()
    {
        var model = Build(Dense);
        var options = new GenerationOptions { MaxTokens = 3, Temperature = 0 };
        string longPrompt = new string('x', 30) + "abcdefghijklmnopqrstuvwx"; // the last 24 bytes are what the model sees
        Assert.Equal(Ids(model, "abcdefghijklmnopqrstuvwx", options), Ids(model, longPrompt, options));
    }

    [Fact]
    public void Generate_SameSeed_GivesTheSameTextAndAnotherSeedAnother()
    {
        var model = Build(MoeModel);
        string Run(long seed) => TextGenerator.Generate(model, ByteTokenizer.Instance, "Once", new GenerationOptions { MaxTokens = 20, Seed = seed });
        Assert.Equal(Run(5), Run(5));
        Assert.NotEqual(Run(5), Run(6));
    }

    [Fact]
    public void Stream_Texts_ConcatenateToTheDecodedTokens()
    {
        var model = Build(Dense);
        var tokens = TextGenerator.Stream(model, ByteTokenizer.Instance, "é", new GenerationOptions { MaxTokens = 30, Seed = 2 }).ToList();
        Assert.Equal(30, tokens.Count);
        Assert.Equal(ByteTokenizer.Instance.Decode([.. tokens.Select(t => t.Id)]), string.Concat(tokens.Select(t => t.Text)));
    }

    [Fact]
    public void Stream_ZeroMaxTokens_GeneratesNothing()
    {
        Assert.Empty(Ids(Build(Dense), "a", new GenerationOptions { MaxTokens = 0 }));
    }

    [Fact]
    public void Generate_LeavesTheModelInItsTrainingMode()
    {
        var model = Build(Dense);
        model.train();
        TextGenerator.Generate(model, ByteTokenizer.Instance, "a", new GenerationOptions { MaxTokens = 2 });
        Assert.True(model.training);
    }

    [Fact]
    public void Stream_EmptyPrompt_AsksForAtLeastOneCharacter()
    {
        var e = Assert.Throws<ArgumentException>(() => TextGenerator.Stream(Build(Dense), ByteTokenizer.Instance, "", new GenerationOptions()));
        Assert.StartsWith("generation: the prompt is empty (it encodes to no tokens); give at least one character to continue", e.Message);
    }

    [Theory]
    [InlineData(-1, 1.0, 1.0, "generation: MaxTokens must be 0 or more, got -1")]
    [InlineData(5, -0.5, 1.0, "generation: Temperature must be a finite number >= 0 (0 = greedy), got -0.5")]
    [InlineData(5, 1.0, 0.0, "generation: TopP must be in (0, 1] (1 = no nucleus cut), got 0")]
    [InlineData(5, 1.0, 1.5, "generation: TopP must be in (0, 1] (1 = no nucleus cut), got 1.5")]
    public void Stream_OptionOutOfRange_NamesTheOptionAndWhatIsAllowed(int maxTokens, double temperature, double topP, string message)
    {
        var options = new GenerationOptions { MaxTokens = maxTokens, Temperature = temperature, TopP = topP };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => TextGenerator.Stream(Build(Dense), ByteTokenizer.Instance, "a", options));
        Assert.StartsWith(message, e.Message);
    }
}
