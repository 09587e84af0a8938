using CsCheck;
using FunctionsProxy.ModelFamilies;
using Xunit;

namespace FunctionsProxy.Tests.ModelFamilies;

/// <summary>Tool ids: valid kept, invalid encoded reversibly, missing generated (docs/protocol.md §4.5).</summary>
public sealed class ToolIdCodecTests
{
    [Theory]
    [InlineData("call_1")]
    [InlineData("toolu_01A09q90qw90lq917835lq9")]
    [InlineData("chatcmpl-tool-8d0b3e2a")]
    public void Valid_ids_pass_unchanged(string id)
    {
        Assert.Equal(id, ToolIdCodec.ToAnthropic(id));
        Assert.Equal(id, ToolIdCodec.ToUpstream(id));
    }

    [Fact]
    public void Kimi_ids_become_valid_anthropic_ids_and_map_back_exactly()
    {
        var anthropic = ToolIdCodec.ToAnthropic("functions.Bash:0");
        Assert.Equal("toolu_xfunctions_2EBash_3A0", anthropic);
        Assert.Matches("^[a-zA-Z0-9_-]+$", anthropic);
        Assert.Equal("functions.Bash:0", ToolIdCodec.ToUpstream(anthropic));
    }

    [Fact]
    public void Missing_ids_are_generated_unique_toolu_ids()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => ToolIdCodec.ToAnthropic(null)).Append(ToolIdCodec.ToAnthropic("")).ToList();
        Assert.All(ids, id => Assert.Matches("^toolu_[0-9A-Za-z]{24}$", id));
        Assert.Equal(ids.Count, ids.Distinct().Count());
        // A generated id sent back in history is never mistaken for an encoded one.
        Assert.All(ids, id => Assert.Equal(id, ToolIdCodec.ToUpstream(id)));
    }

    [Theory]
    [InlineData("toolu_xyz")]              // valid, but carries the encoding prefix
    [InlineData("toolu_x")]
    [InlineData("toolu_xfunctions_2EBash_3A0")]
    public void Valid_ids_with_the_encoding_prefix_still_round_trip(string id)
    {
        var anthropic = ToolIdCodec.ToAnthropic(id);
        Assert.Matches("^[a-zA-Z0-9_-]+$", anthropic);
        Assert.Equal(id, ToolIdCodec.ToUpstream(anthropic));
    }

    [Theory]
    [InlineData("toolu_x_ZZ")]
    [InlineData("toolu_x_4")]
    [InlineData("toolu_xabc")]             // decodes to "abc", which would not have been encoded
    public void Ids_that_are_not_canonical_encodings_are_passed_through(string id) => Assert.Equal(id, ToolIdCodec.ToUpstream(id));

    [Fact]
    public void Any_upstream_id_round_trips_through_a_valid_anthropic_id()
    {
        var chars = Gen.OneOf(Gen.Char["abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"], Gen.OneOfConst('.', ':', '_', '-', ' ', '/', '|', 'é', '\uD83D', '\uDE00'));
        var ids = Gen.OneOf(
            chars.Array[1, 40].Select(a => new string(a)),
            Gen.String,
            Gen.Int[0, 99].Select(i => $"functions.Tool{i}:{i}"),
            Gen.String.Select(s => "toolu_x" + s));
        ids.Where(s => s.Length > 0).Sample(id =>
        {
            var anthropic = ToolIdCodec.ToAnthropic(id);
            Assert.True(ToolIdCodec.IsValidAnthropicId(anthropic), anthropic);
            // Lone surrogates cannot survive UTF-8; every well-formed id must come back exactly.
            if (!HasLoneSurrogate(id))
                Assert.Equal(id, ToolIdCodec.ToUpstream(anthropic));
        }, iter: 5000);
    }

    private static bool HasLoneSurrogate(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
            if (char.IsSurrogate(s[i])) return true;
        }
        return false;
    }
}
