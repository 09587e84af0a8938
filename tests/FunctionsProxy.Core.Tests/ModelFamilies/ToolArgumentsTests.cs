using System.Text.Json.Nodes;
using FunctionsProxy.ModelFamilies;
using FunctionsProxy.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Xunit;

namespace FunctionsProxy.Tests.ModelFamilies;

/// <summary>Tolerant tool arguments (docs/protocol.md §5.5).</summary>
public sealed class ToolArgumentsTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   \n")]
    [InlineData("\"\"")]
    public void Empty_arguments_are_an_empty_object(string? raw) => Assert.Equal("{}", ToolArguments.Normalize(raw));

    [Fact]
    public void A_valid_object_is_returned_unchanged()
    {
        const string raw = "{ \"command\" : \"ls -la\",\n \"timeout\": 5 }";
        Assert.Same(raw, ToolArguments.Normalize(raw));
    }

    [Theory]
    [InlineData("{'path': 'a.py',}", "{\"path\":\"a.py\"}")]
    [InlineData("{\"a\": [1, 2,], \"b\": {\"c\": 3,},}", "{\"a\":[1,2],\"b\":{\"c\":3}}")]
    [InlineData("```json\n{\"command\": \"ls\"}\n```", "{\"command\":\"ls\"}")]
    [InlineData("```\n{'x': 1}\n```", "{\"x\":1}")]
    [InlineData("{\"content\": \"line1\nline2\ttab\"}", "{\"content\":\"line1\\nline2\\ttab\"}")]
    [InlineData("\"{\\\"command\\\": \\\"ls\\\"}\"", "{\"command\":\"ls\"}")]                  // double-encoded
    [InlineData("\"\\\"{\\\\\\\"a\\\\\\\": 1}\\\"\"", "{\"a\":1}")]                               // triple-encoded
    [InlineData("{'flag': True, 'other': False, 'none': None}", "{\"flag\":true,\"other\":false,\"none\":null}")]
    [InlineData("{'msg': 'say \"hi\"', 'it': 'it\\'s'}", "{\"msg\":\"say \\\"hi\\\"\",\"it\":\"it's\"}")]
    [InlineData("{command: 'ls'}", "{\"command\":\"ls\"}")]
    [InlineData("{\"pattern\": \"\\d+\"}", "{\"pattern\":\"\\\\d+\"}")]
    public void Near_json_is_repaired(string raw, string expected)
    {
        var normalized = ToolArguments.Normalize(raw);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(normalized)), normalized);
    }

    [Theory]
    [InlineData("{\"command\": \"ls")]
    [InlineData("[1, 2]")]
    [InlineData("42")]
    [InlineData("run ls please")]
    public void Irreparable_arguments_are_kept_raw_and_logged_never_an_empty_object(string raw)
    {
        var logger = new ListLogger();
        var normalized = ToolArguments.Normalize(raw, logger);
        Assert.Equal(new JsonObject { [ToolArguments.RawArgumentsKey] = raw }.Json(), JsonNode.Parse(normalized)!.Json());
        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Equal(raw.Length, entry.Length);
        // Structured: the length only, never the (possibly sensitive) argument text.
        Assert.DoesNotContain(raw, entry.Message);
    }

    [Fact]
    public void The_documented_key_is_raw_arguments() => Assert.Equal("_raw_arguments", ToolArguments.RawArgumentsKey);

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Message, int? Length)> Entries { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            int? length = null;
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
                foreach (var (k, v) in values) if (k == "Length") length = (int)v!;
            Entries.Add((logLevel, formatter(state, exception), length));
        }
    }
}
