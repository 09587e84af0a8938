using CsCheck;
using FunctionsProxy.ModelFamilies;
using Xunit;

namespace FunctionsProxy.Tests.ModelFamilies;

/// <summary>Think tags and tool-call markup in content (docs/protocol.md §7.4, §7.5), whole and in every chunking.</summary>
public sealed class ContentDemultiplexerTests
{
    public static TheoryData<string> SampleNames => new(FamilySamples.All.Select(s => s.Name));

    private static FamilySamples.Sample Sample(string name) => FamilySamples.All.Single(s => s.Name == name);

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void Family_output_in_one_piece_gives_the_expected_blocks(string name)
    {
        var sample = Sample(name);
        Assert.Equal(sample.Events, RecordingSink.Run(sample.Content).Events);
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void Family_output_split_in_two_at_every_position_gives_the_same_blocks(string name)
    {
        var sample = Sample(name);
        for (var i = 0; i <= sample.Content.Length; i++)
            Assert.True(sample.Events.SequenceEqual(RecordingSink.Run(RecordingSink.Cut(sample.Content, i)).Events), $"{name} split at {i}");
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void Family_output_one_char_per_push_gives_the_same_blocks(string name)
    {
        var sample = Sample(name);
        Assert.Equal(sample.Events, RecordingSink.Run(sample.Content.Select(c => c.ToString())).Events);
    }

    [Fact]
    public void Every_pair_of_split_points_gives_the_same_blocks()
    {
        foreach (var content in new[] { FamilySamples.Glm, FamilySamples.DeepSeekV31, "a<think>b</think>c<tool_call>{\"name\":\"X\",\"arguments\":{}}</tool_call>d" })
        {
            var expected = RecordingSink.Run(content).Events;
            for (var i = 0; i <= content.Length; i++)
            {
                for (var j = i; j <= content.Length; j++)
                    Assert.True(expected.SequenceEqual(RecordingSink.Run(RecordingSink.Cut(content, i, j)).Events), $"split at {i},{j} of {content}");
            }
        }
    }

    [Fact]
    public void Think_tags_become_thinking_then_text()
    {
        Assert.Equal(["thinking:a", "text:b"], RecordingSink.Run("<think>a</think>b").Events);
    }

    [Fact]
    public void Orphan_close_tag_at_the_start_makes_the_text_before_it_thinking()
    {
        Assert.Equal(["thinking:a", "text:b"], RecordingSink.Run("a</think>b").Events);
        Assert.Equal(["thinking:a", "text:b"], RecordingSink.Run(["a</th", "ink>b"]).Events);
    }

    [Fact]
    public void Orphan_close_tag_beyond_the_window_is_text()
    {
        var content = new string('x', 20) + "</think>tail";
        Assert.Equal(["text:" + content], RecordingSink.Run(content, window: 10).Events);
        Assert.Equal(["thinking:" + new string('x', 20), "text:tail"], RecordingSink.Run(content, window: 20).Events);
        Assert.Equal(["text:" + content], RecordingSink.Run(content, window: 0).Events);
    }

    [Fact]
    public void Close_tag_after_other_output_is_not_an_orphan()
    {
        // "Before any other output": once <think> opened a region, a later stray </think> is just text.
        Assert.Equal(["thinking:a", "text:b</think>c"], RecordingSink.Run("<think>a</think>b</think>c").Events);
    }

    [Fact]
    public void Reasoning_from_the_server_releases_held_text_and_ends_orphan_detection()
    {
        var sink = new RecordingSink();
        var demux = new ContentDemultiplexer(true, true);
        demux.Push("Hello", sink);
        Assert.Empty(sink.Events); // held: an orphan </think> could still come
        demux.MarkOutputStarted(sink);
        Assert.Equal(["text:Hello"], sink.Events);
        demux.Push(" a</think>b", sink);
        demux.Complete(sink);
        Assert.Equal(["text:Hello a</think>b"], sink.Events);
    }

    [Fact]
    public void Whitespace_before_an_opening_think_tag_and_after_closing_tags_is_layout()
    {
        Assert.Equal(["thinking:plan\n", "text:Answer\n"], RecordingSink.Run("\n<think>\nplan\n</think>\n\nAnswer\n").Events);
    }

    /// <summary>Without orphan detection (GLM, Kimi K2 Instruct, Qwen3-Coder, gpt-oss, the default profile) a newline
    /// before the opening tag used to come out as a text block of its own, ahead of the thinking.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(ContentDemultiplexer.DefaultOrphanCloseWindow)]
    public void Whitespace_before_a_leading_think_tag_makes_no_text_block_in_any_chunking(int window)
    {
        foreach (var content in new[] { "\n<think>r</think>answer", " \r\n\t<think>r</think>answer" })
        {
            string[] expected = ["thinking:r", "text:answer"];
            Assert.Equal(expected, RecordingSink.Run(content, window: window).Events);
            Assert.Equal(expected, RecordingSink.Run(content.Select(c => c.ToString()), window: window).Events);
            for (var i = 0; i <= content.Length; i++)
            {
                for (var j = i; j <= content.Length; j++)
                    Assert.True(expected.SequenceEqual(RecordingSink.Run(RecordingSink.Cut(content, i, j), window: window).Events), $"split at {i},{j}");
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(ContentDemultiplexer.DefaultOrphanCloseWindow)]
    public void Leading_whitespace_of_a_plain_answer_is_the_models_text_and_kept(int window)
    {
        foreach (var content in new[] { "\n\nHello", "\n<thin ice", "\n<", "\n\n", "\n<tool_call>{\"name\":\"X\",\"arguments\":{}}</tool_call>" })
        {
            var expected = RecordingSink.Run(content, window: window).Events;
            for (var i = 0; i <= content.Length; i++)
                Assert.True(expected.SequenceEqual(RecordingSink.Run(RecordingSink.Cut(content, i), window: window).Events), $"{content} split at {i}");
        }
        Assert.Equal(["text:\n\nHello"], RecordingSink.Run("\n\nHello", window: window).Events);
        Assert.Equal(["text:\n<thin ice"], RecordingSink.Run("\n<thin ice", window: window).Events);
        Assert.Equal(["text:\n\n"], RecordingSink.Run("\n\n", window: window).Events);
    }

    [Fact]
    public void Without_orphan_detection_only_leading_whitespace_is_held_and_text_is_not_delayed()
    {
        var sink = new RecordingSink();
        var demux = new ContentDemultiplexer(parseThinkTags: true, parseToolMarkup: true, orphanCloseWindow: 0);
        demux.Push("\n\n", sink);
        Assert.Empty(sink.Events);             // whitespace waits for the first other character
        Assert.False(demux.IsHoldingStart);    // and arms no hold-back timer
        demux.Push("Hel", sink);
        Assert.Equal(["text:\n\nHel"], sink.Events); // released with the first visible character, not at the end
        demux.Push("lo", sink);
        Assert.Equal(["text:\n\nHello"], sink.Events);
        Assert.True(demux.IsIdle);

        var plain = new RecordingSink();
        var direct = new ContentDemultiplexer(parseThinkTags: true, parseToolMarkup: true, orphanCloseWindow: 0);
        direct.Push("Hello", plain);
        Assert.Equal(["text:Hello"], plain.Events);
        Assert.True(direct.IsIdle);
    }

    [Fact]
    public void Unclosed_think_region_is_all_thinking()
    {
        Assert.Equal(["thinking:still thinking <th"], RecordingSink.Run(["<think>still thinking <th"]).Events);
    }

    [Fact]
    public void Text_with_angle_brackets_that_start_no_marker_passes_unchanged()
    {
        const string content = "if a < b && c<d then <div> <tool> <|im_end|> <｜end▁of▁sentence｜> <thin";
        Assert.Equal(["text:" + content], RecordingSink.Run(content, window: 0).Events);
        for (var i = 0; i <= content.Length; i++)
            Assert.Equal(["text:" + content], RecordingSink.Run(RecordingSink.Cut(content, i), window: 0).Events);
    }

    [Fact]
    public void Only_a_possible_marker_prefix_is_held_back()
    {
        var sink = new RecordingSink();
        var demux = new ContentDemultiplexer(true, true, 0);
        demux.Push("Hello <tool_ca", sink);
        Assert.Equal(["text:Hello "], sink.Events);
        Assert.False(demux.IsIdle);
        demux.Push("lendar> is here", sink);
        Assert.Equal(["text:Hello <tool_calendar> is here"], sink.Events);
        Assert.True(demux.IsIdle);
    }

    [Fact]
    public void Plain_text_goes_straight_through_without_allocating()
    {
        var sink = new CountingSink();
        var demux = new ContentDemultiplexer(true, true, 0);
        var text = "Plain streamed text without any marker character, as most chunks are.".AsSpan();
        demux.Push(text, sink); // warm-up (JIT, first-use initialisation)
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++) demux.Push(text, sink);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(101, sink.TextCalls);
        Assert.Equal(101 * text.Length, sink.TextChars);
    }

    [Fact]
    public void Markup_parsing_can_be_switched_off_per_profile()
    {
        Assert.Equal(["text:" + FamilySamples.Hermes], RecordingSink.Run(FamilySamples.Hermes, thinkTags: false, toolMarkup: false).Events);
        Assert.Equal(["text:<think>a</think>b"], RecordingSink.Run("<think>a</think>b", thinkTags: false).Events);
        Assert.Equal(["thinking:a", "text:<tool_call>{\"name\":\"X\"}</tool_call>"], RecordingSink.Run("<think>a</think><tool_call>{\"name\":\"X\"}</tool_call>", toolMarkup: false).Events);
    }

    [Fact]
    public void Markup_that_is_not_a_tool_call_stays_text()
    {
        Assert.Equal(["text:Use <tool_call>not a call</tool_call> here"], RecordingSink.Run("Use <tool_call>not a call</tool_call> here", window: 0).Events);
    }

    [Fact]
    public void Unterminated_tool_call_at_the_end_is_still_parsed()
    {
        // Servers often stop on the end token and do not put it in the text.
        Assert.Equal(["tool:|Bash|{\"command\":\"ls\"}"], RecordingSink.Run("<tool_call>{\"name\":\"Bash\",\"arguments\":{\"command\":\"ls\"}}").Events);
        Assert.Equal(["tool:functions.Bash:0|Bash|{\"command\":\"ls\"}"],
            RecordingSink.Run("<|tool_calls_section_begin|><|tool_call_begin|>functions.Bash:0<|tool_call_argument_begin|>{\"command\":\"ls\"}").Events);
    }

    [Fact]
    public void Missing_value_close_ends_the_value_at_the_next_key_in_both_key_value_dialects()
    {
        // Qwen3-Coder and GLM share one key/value loop: a value whose close marker is missing ends where the next
        // parameter starts, so the next parameter is not swallowed into it.
        Assert.Equal(["tool:|Grep|{\"pattern\":\"TODO\",\"head_limit\":20}"],
            RecordingSink.Run("<tool_call>Grep\n<arg_key>pattern</arg_key>\n<arg_value>TODO\n<arg_key>head_limit</arg_key>\n<arg_value>20</arg_value>\n</tool_call>").Events);
        Assert.Equal(["tool:|Grep|{\"pattern\":\"TODO\",\"head_limit\":20}"],
            RecordingSink.Run("<tool_call>\n<function=Grep>\n<parameter=pattern>\nTODO\n<parameter=head_limit>\n20\n</parameter>\n</function>\n</tool_call>").Events);
    }

    [Fact]
    public void Incomplete_marker_at_the_end_is_text()
    {
        Assert.Equal(["text:abc <tool_ca"], RecordingSink.Run("abc <tool_ca", window: 0).Events);
    }

    [Fact]
    public void Kimi_bare_call_and_singular_section_spelling_are_recognised()
    {
        Assert.Equal(["tool:functions.Bash:3|Bash|{\"command\":\"ls\"}"],
            RecordingSink.Run("<|tool_call_begin|>functions.Bash:3<|tool_call_argument_begin|>{\"command\":\"ls\"}<|tool_call_end|>").Events);
        Assert.Equal(["tool:functions.mcp__github__search:0|mcp__github__search|{\"q\":\"x\"}"],
            RecordingSink.Run("<|tool_call_section_begin|><|tool_call_begin|>functions.mcp__github__search:0<|tool_call_argument_begin|>{\"q\":\"x\"}<|tool_call_end|><|tool_call_section_end|>").Events);
    }

    [Fact]
    public void Hermes_with_string_arguments_and_single_quotes_is_repaired()
    {
        Assert.Equal(["tool:|Bash|{\"command\":\"ls\"}"], RecordingSink.Run("<tool_call>{\"name\": \"Bash\", \"arguments\": \"{\\\"command\\\": \\\"ls\\\"}\"}</tool_call>").Events);
        Assert.Equal(["tool:|Bash|{\"command\":\"ls\"}"], RecordingSink.Run("<tool_call>{'name': 'Bash', 'arguments': {'command': 'ls',}}</tool_call>").Events);
    }

    [Fact]
    public void Glm4_name_then_json_form_is_recognised()
    {
        Assert.Equal(["tool:|Read|{\"file_path\":\"a\"}"], RecordingSink.Run("<tool_call>Read\n{\"file_path\": \"a\"}</tool_call>").Events);
    }

    /// <summary>Content assembled from family fragments, cut at random points: the client-visible text, thinking and
    /// tool calls never depend on where the chunks were cut.</summary>
    [Fact]
    public void Random_chunking_of_the_same_content_gives_the_same_result()
    {
        string[] fragments =
        [
            "plain words ", "a < b ", "<", "<think>", "</think>", "reasoning\n", "<tool_call>{\"name\":\"Bash\",\"arguments\":{\"command\":\"ls\"}}</tool_call>",
            FamilySamples.Kimi, FamilySamples.DeepSeekV3, FamilySamples.DeepSeekV31, FamilySamples.QwenCoder, FamilySamples.Glm,
            "<|tool_call", "<｜tool", "ünïcødé 😀 ", "\n\n", "<tool_call>Glob\n<arg_key>pattern</arg_key>\n<arg_value>*.md</arg_value>\n</tool_call>",
        ];
        var gen =
            from parts in Gen.Int[0, fragments.Length - 1].Array[1, 8]
            from window in Gen.OneOfConst(0, 16, 4096)
            let content = string.Concat(parts.Select(p => fragments[p]))
            from cuts in Gen.Int[0, content.Length].Array[0, 12]
            select (content, window, cuts: cuts.Distinct().Order().ToArray());
        gen.Sample(t =>
        {
            var whole = RecordingSink.Run(t.content, window: t.window);
            var chunked = RecordingSink.Run(RecordingSink.Cut(t.content, t.cuts), window: t.window);
            Assert.Equal(whole.Events, chunked.Events);
        }, iter: 2000);
    }

    private sealed class CountingSink : IContentSink
    {
        public int TextCalls;
        public int TextChars;
        public void OnText(ReadOnlySpan<char> text) { TextCalls++; TextChars += text.Length; }
        public void OnThinking(ReadOnlySpan<char> text) => throw new InvalidOperationException("no thinking expected");
        public void OnToolCall(string? id, string name, string arguments) => throw new InvalidOperationException("no tool call expected");
    }
}
