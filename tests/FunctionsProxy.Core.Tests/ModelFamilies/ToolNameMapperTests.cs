using FunctionsProxy.ModelFamilies;
using Xunit;

namespace FunctionsProxy.Tests.ModelFamilies;

/// <summary>Tool names: TOOL_NAME_MAP both ways, long MCP names shortened deterministically (docs/protocol.md §4.4).</summary>
public sealed class ToolNameMapperTests
{
    private static readonly Dictionary<string, string> NoMap = [];

    [Fact]
    public void An_80_char_mcp_name_is_shortened_to_64_and_restored()
    {
        var name = "mcp__" + new string('s', 20) + "__" + new string('t', 53);
        Assert.Equal(80, name.Length);
        var mapper = new ToolNameMapper(NoMap);
        var upstream = mapper.ToUpstream(name);
        Assert.Equal(64, upstream.Length);
        Assert.Matches("^[a-zA-Z0-9_-]{1,64}$", upstream);
        Assert.StartsWith(name[..55] + "_", upstream);
        Assert.Matches("_[0-9a-f]{8}$", upstream);
        Assert.Equal(name, mapper.ToClient(upstream));
        // Deterministic: a new request (new mapper) computes the same short name, so history stays consistent.
        Assert.Equal(upstream, new ToolNameMapper(NoMap).ToUpstream(name));
        // Names differing only after the prefix get different short names.
        Assert.NotEqual(upstream, new ToolNameMapper(NoMap).ToUpstream(name[..^1] + "u"));
    }

    [Fact]
    public void Names_with_characters_servers_reject_are_shortened_too()
    {
        var mapper = new ToolNameMapper(NoMap);
        var upstream = mapper.ToUpstream("my.tool name");
        Assert.Matches("^my_tool_name_[0-9a-f]{8}$", upstream);
        Assert.Equal("my.tool name", mapper.ToClient(upstream));
    }

    [Fact]
    public void Tool_name_map_applies_both_ways_and_unknown_names_pass()
    {
        var mapper = new ToolNameMapper(new Dictionary<string, string> { ["Bash"] = "run_shell", ["Read"] = "read_file" });
        Assert.Equal("run_shell", mapper.ToUpstream("Bash"));
        Assert.Equal("Bash", mapper.ToClient("run_shell"));
        Assert.Equal("Read", mapper.ToClient("read_file")); // reverse map also without a prior ToUpstream
        Assert.Equal("Glob", mapper.ToUpstream("Glob"));
        Assert.Equal("unknown_tool", mapper.ToClient("unknown_tool"));
    }

    [Fact]
    public void A_mapped_target_that_is_too_long_is_shortened_and_restored_to_the_client_name()
    {
        var target = new string('m', 70);
        var mapper = new ToolNameMapper(new Dictionary<string, string> { ["Bash"] = target });
        var upstream = mapper.ToUpstream("Bash");
        Assert.Equal(ToolNameMapper.Shorten(target), upstream);
        Assert.Equal("Bash", mapper.ToClient(upstream));
    }
}
