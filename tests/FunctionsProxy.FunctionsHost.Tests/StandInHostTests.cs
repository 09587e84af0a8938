using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Azure.Data.Tables;
using FunctionsProxy.Tests.Infrastructure;
using Xunit;

namespace FunctionsProxy.FunctionsHost.Tests;

/// <summary>
/// The published Functions app behind the stand-in Functions host answers what the local host answers: same status,
/// content type and bytes (random ids aside), streams event by event with pings, cancels the backend call when the
/// client goes away, serves the admin routes, and its timer writes the schema cache to Azurite.
/// </summary>
public sealed class StandInHostTests(HostPair hosts) : IClassFixture<HostPair>
{
    private const string Hi = """{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}""";

    private static string Normalize(string s) => Regex.Replace(s, "(msg|req|toolu)_[A-Za-z0-9]{24}", "$1_X");

    private static async Task<(int Status, string ContentType, string Body)> Send(HttpClient client, HttpMethod method, string path, string? body = null, string? apiKey = "client-key")
    {
        using var request = new HttpRequestMessage(method, path);
        if (apiKey is not null) request.Headers.Add("x-api-key", apiKey);
        request.Headers.Add("anthropic-version", "2023-06-01");
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await client.SendAsync(request);
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.ToString() ?? "", await response.Content.ReadAsStringAsync());
    }

    private async Task AssertSame(HttpMethod method, string path, string? body = null, string? apiKey = "client-key")
    {
        var local = await Send(hosts.Local.Client, method, path, body, apiKey);
        var functions = await Send(hosts.FunctionsClient, method, path, body, apiKey);
        Assert.Equal(local.Status, functions.Status);
        Assert.Equal(local.ContentType, functions.ContentType);
        Assert.Equal(Normalize(local.Body), Normalize(functions.Body));
    }

    [Fact]
    public async Task Json_and_sse_answers_match_the_local_host()
    {
        hosts.Upstream.Enqueue(Reply.Json(Chunks.Completion("Hello", prompt: 9, completion: 2))).Enqueue(Reply.Json(Chunks.Completion("Hello", prompt: 9, completion: 2)));
        await AssertSame(HttpMethod.Post, "/v1/messages?beta=true", Hi);

        string[] chunks = [Chunks.Role(), Chunks.Reasoning("think"), Chunks.Content("Hel"), Chunks.Content("lo"), Chunks.ToolStart(0, "call_1", "Bash", "{\"command\":"), Chunks.ToolArgs(0, "\"ls\"}"), Chunks.Finish("tool_calls"), Chunks.Usage(20, 7), Chunks.Done];
        hosts.Upstream.Enqueue(Reply.Sse(chunks)).Enqueue(Reply.Sse(chunks));
        var stream = Hi.Replace("\"max_tokens\":64", "\"max_tokens\":64,\"stream\":true");
        var local = await Send(hosts.Local.Client, HttpMethod.Post, "/v1/messages", stream);
        var functions = await Send(hosts.FunctionsClient, HttpMethod.Post, "/v1/messages", stream);
        Assert.Equal("text/event-stream; charset=utf-8", functions.ContentType);
        // Pings depend on timing; the events around them must be identical.
        var f = SseFrames.Parse(Normalize(functions.Body));
        SseFrames.AssertGrammar(f);
        Assert.Equal(SseFrames.Shape(SseFrames.Parse(Normalize(local.Body))), SseFrames.Shape(f));
        Assert.Equal("{\"command\":\"ls\"}", SseFrames.Concat(f.Where(x => x.Event != "ping"), 2, "partial_json"));
    }

    [Fact]
    public async Task A_slow_stream_arrives_event_by_event_with_pings()
    {
        var reply = Reply.EmptySse().Data(Chunks.Role());
        for (var i = 0; i < 6; i++) reply = reply.Delay(TimeSpan.FromMilliseconds(400)).Data(Chunks.Content("part" + i));
        hosts.Upstream.Enqueue(reply.Data(Chunks.Finish("stop")).Data(Chunks.Usage(5, 6)).Write("data: [DONE]\n\n"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = new StringContent(Hi.Replace("\"max_tokens\":64", "\"max_tokens\":64,\"stream\":true"), Encoding.UTF8, "application/json") };
        request.Headers.Add("x-api-key", "client-key");
        var started = System.Diagnostics.Stopwatch.StartNew();
        using var response = await hosts.FunctionsClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var firstEvent = await reader.ReadLineAsync();
        var firstAt = started.Elapsed;
        var rest = await reader.ReadToEndAsync();
        Assert.Equal("event: message_start", firstEvent);
        // The first event is relayed long before the ~2.4 s the backend takes: nothing buffers the stream.
        Assert.True(firstAt < started.Elapsed - TimeSpan.FromSeconds(1.5), $"first event after {firstAt}, end after {started.Elapsed}");
        var frames = SseFrames.Parse(firstEvent + "\n" + rest);
        SseFrames.AssertGrammar(frames);
        Assert.Contains(frames, x => x.Event == "ping");
        Assert.Equal("message_stop", frames[^1].Event);
    }

    [Fact]
    public async Task A_client_that_goes_away_cancels_the_backend_call()
    {
        hosts.Upstream.ResetAbortSignal();
        hosts.Upstream.Enqueue(Reply.EmptySse().Data(Chunks.Role()).Data(Chunks.Content("x")).HangUntilAborted(TimeSpan.FromSeconds(60)));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = new StringContent(Hi.Replace("\"max_tokens\":64", "\"max_tokens\":64,\"stream\":true"), Encoding.UTF8, "application/json") };
        request.Headers.Add("x-api-key", "client-key");
        using (var response = await hosts.FunctionsClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.Equal("event: message_start", await reader.ReadLineAsync());
        }
        await hosts.Upstream.ConnectionAborted.WaitAsync(TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task Errors_count_tokens_models_health_and_telemetry_match_the_local_host()
    {
        await AssertSame(HttpMethod.Post, "/v1/messages", "{broken");
        await AssertSame(HttpMethod.Post, "/v1/messages", Hi, apiKey: null);
        await AssertSame(HttpMethod.Post, "/v1/messages/count_tokens", """{"model":"m","messages":[{"role":"user","content":"count me"}]}""");
        await AssertSame(HttpMethod.Get, "/v1/models?limit=10");
        await AssertSame(HttpMethod.Get, "/v1/models/org/Model-A");
        await AssertSame(HttpMethod.Get, "/v1/models/no/such");
        await AssertSame(HttpMethod.Get, "/health");
        await AssertSame(HttpMethod.Post, "/api/event_logging/batch", "{}");
        var local = await Send(hosts.Local.Client, HttpMethod.Get, "/_schemas");
        var functions = await Send(hosts.FunctionsClient, HttpMethod.Get, "/_schemas");
        Assert.Equal(200, functions.Status);
        Assert.Equal(Regex.Replace(local.Body, "\"refreshed_at\":\"[^\"]+\"", ""), Regex.Replace(functions.Body, "\"refreshed_at\":\"[^\"]+\"", ""));
    }

    [Fact]
    public async Task Both_hosts_have_the_same_routes()
    {
        // One route table: the root answers as health on both (clients probe HEAD /), not as the host's home page.
        await AssertSame(HttpMethod.Get, "/");
        Assert.Equal(200, (await Send(hosts.FunctionsClient, HttpMethod.Head, "/")).Status);
        Assert.Equal(200, (await Send(hosts.Local.Client, HttpMethod.Head, "/")).Status);
        // A method a trigger does not accept finds no function.
        Assert.Equal(404, (await Send(hosts.FunctionsClient, HttpMethod.Get, "/v1/messages")).Status);
    }

    [Fact]
    public async Task Admin_routes_create_list_and_revoke_keys()
    {
        var name = "member" + Guid.NewGuid().ToString("N")[..8];
        var created = await Send(hosts.FunctionsClient, HttpMethod.Post, "/_admin/keys", $$"""{"name":"{{name}}"}""", HostPair.AdminKey);
        Assert.True(created.Status is 200 or 201, created.Body);
        var key = Regex.Match(created.Body, "fpk_[A-Za-z0-9]+").Value;
        Assert.NotEmpty(key);
        Assert.Contains(name, (await Send(hosts.FunctionsClient, HttpMethod.Get, "/_admin/keys", apiKey: HostPair.AdminKey)).Body);
        // The local host sees the same table: the two hosts are two instances of one deployment.
        Assert.Contains(name, (await Send(hosts.Local.Client, HttpMethod.Get, "/_admin/keys", apiKey: HostPair.AdminKey)).Body);
        Assert.Equal(401, (await Send(hosts.FunctionsClient, HttpMethod.Get, "/_admin/keys", apiKey: "wrong")).Status);
        var revoked = await Send(hosts.FunctionsClient, HttpMethod.Delete, $"/_admin/keys/{name}", apiKey: HostPair.AdminKey);
        Assert.True(revoked.Status is 200 or 204, revoked.Body);
    }

    [Fact]
    public async Task The_timer_run_on_demand_writes_the_schema_cache_to_azurite()
    {
        using var response = await hosts.FunctionsClient.PostAsync("/admin/functions/RefreshModelCache", new StringContent("{\"input\":\"\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var table = new TableServiceClient(Azurite.ConnectionString).GetTableClient(hosts.SchemaTable);
        var rows = new List<TableEntity>();
        await foreach (var e in table.QueryAsync<TableEntity>()) rows.Add(e);
        Assert.NotEmpty(rows);
        Assert.Contains(rows, r => r.Select(p => p.Value).OfType<string>().Any(v => v.Contains("org/Model-A", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.NotFound, (await hosts.FunctionsClient.PostAsync("/admin/functions/NoSuchFunction", null)).StatusCode);
    }
}
