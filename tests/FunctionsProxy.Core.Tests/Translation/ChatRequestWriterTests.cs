using System.Buffers;
using System.Text;
using System.Text.Json;
using FunctionsProxy.Anthropic;
using FunctionsProxy.Catalog;
using FunctionsProxy.Errors;
using FunctionsProxy.ModelFamilies;
using FunctionsProxy.Translation;
using Xunit;

namespace FunctionsProxy.Tests.Translation;

/// <summary>
/// Anthropic request → OpenAI body bytes, in process: the writer alone, no host and no upstream. The expected bodies
/// are the ones <see cref="RequestTranslationTests"/> sees arrive at the scripted backend over HTTP.
/// </summary>
public sealed class ChatRequestWriterTests
{
    /// <summary>The exact UTF-8 body the writer produces for <paramref name="request"/> (model passed through as is).</summary>
    private static string Write(string request, bool dropBillingHeader = true, ModelCapabilities? capabilities = null)
    {
        using var document = JsonDocument.Parse(request);
        var parsed = MessagesRequest.Parse(document.RootElement);
        var model = new ResolvedModel(parsed.Model, parsed.Model, ModelProfile.Default, capabilities);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, AnthropicJson.WriterOptions))
        {
            new ChatRequestWriter(parsed, model, dropBillingHeader, new ToolNameMapper(new Dictionary<string, string>())).Write(writer, parsed.Stream);
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Fact]
    public void System_string_and_user_text_become_the_exact_body()
    {
        Assert.Equal("""{"model":"m","messages":[{"role":"system","content":"S"},{"role":"user","content":"hi"}],"max_tokens":100,"stream":false}""",
            Write("""{"model":"m","max_tokens":100,"system":"S","messages":[{"role":"user","content":"hi"}]}"""));
    }

    [Fact]
    public void A_stream_request_asks_for_usage_and_fields_without_openai_meaning_are_not_written()
    {
        Assert.Equal("""{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":10,"stream":true,"stream_options":{"include_usage":true}}""",
            Write("""{"model":"m","max_tokens":10,"stream":true,"service_tier":"auto","container":"c1","messages":[{"role":"user","content":"hi"}]}"""));
    }

    [Fact]
    public void Assistant_tool_uses_become_tool_calls_and_tool_results_tool_messages()
    {
        const string request = """{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"go"},{"role":"assistant","content":[{"type":"text","text":"ok"},{"type":"tool_use","id":"toolu_1","name":"A","input":{"x":1}},{"type":"tool_use","id":"toolu_2","name":"B","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"r1"},{"type":"tool_result","tool_use_id":"toolu_2","content":"r2"}]}]}""";
        Assert.Equal("""{"model":"m","messages":[{"role":"user","content":"go"},{"role":"assistant","content":"ok","tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"A","arguments":"{\"x\":1}"}},{"id":"toolu_2","type":"function","function":{"name":"B","arguments":"{}"}}]},{"role":"tool","tool_call_id":"toolu_1","content":"r1"},{"role":"tool","tool_call_id":"toolu_2","content":"r2"}],"max_tokens":10,"stream":false}""",
            Write(request));
    }

    [Fact]
    public void Images_become_image_url_parts()
    {
        const string request = """{"model":"m","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":"what is this?"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},{"type":"image","source":{"type":"url","url":"https://example.com/cat.jpg"}}]}]}""";
        Assert.Equal("""{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"what is this?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},{"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}}]}],"max_tokens":10,"stream":false}""",
            Write(request));
    }

    [Fact]
    public void Custom_tools_become_functions_server_tools_are_omitted_and_any_is_required()
    {
        const string request = """{"model":"m","max_tokens":10,"tools":[{"type":"web_search_20250305","name":"web_search","max_uses":5},{"name":"Read","description":"Read a file","input_schema":{"type":"object","properties":{"path":{"type":"string"}}},"cache_control":{"type":"ephemeral"}}],"tool_choice":{"type":"any"},"messages":[{"role":"user","content":"hi"}]}""";
        Assert.Equal("""{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":10,"stream":false,"tools":[{"type":"function","function":{"name":"Read","description":"Read a file","parameters":{"type":"object","properties":{"path":{"type":"string"}}}}}],"tool_choice":"required"}""",
            Write(request));
    }

    [Fact]
    public void The_billing_header_block_is_dropped_unless_the_option_keeps_it()
    {
        const string request = """{"model":"m","max_tokens":10,"system":[{"type":"text","text":"x-anthropic-billing-header: cc_version=2.1.330.52d; cc_entrypoint=sdk-cli;"},{"type":"text","text":"You are Claude Code."}],"messages":[{"role":"user","content":"hi"}]}""";
        Assert.Equal("""{"model":"m","messages":[{"role":"system","content":"You are Claude Code."},{"role":"user","content":"hi"}],"max_tokens":10,"stream":false}""",
            Write(request));
        Assert.Equal("""{"model":"m","messages":[{"role":"system","content":"x-anthropic-billing-header: cc_version=2.1.330.52d; cc_entrypoint=sdk-cli;\n\nYou are Claude Code."},{"role":"user","content":"hi"}],"max_tokens":10,"stream":false}""",
            Write(request, dropBillingHeader: false));
    }

    [Fact]
    public void Max_tokens_is_clamped_to_the_output_limit_discovery_knows()
    {
        Assert.Equal("""{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":8192,"stream":false}""",
            Write("""{"model":"m","max_tokens":64000,"messages":[{"role":"user","content":"hi"}]}""", capabilities: new ModelCapabilities { Id = "m", MaxOutputTokens = 8192 }));
    }

    [Fact]
    public void A_pdf_document_is_a_clear_invalid_request()
    {
        var error = Assert.Throws<ProxyErrorException>(() => Write("""{"model":"m","max_tokens":10,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0="}}]}]}"""));
        Assert.Equal(400, error.Error.Status);
        Assert.Equal("invalid_request_error", error.Error.Type);
        Assert.Equal("Documents other than plain text are not supported by this backend.", error.Error.Message);
    }
}
