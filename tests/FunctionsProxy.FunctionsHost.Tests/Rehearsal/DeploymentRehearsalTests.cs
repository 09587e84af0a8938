using System.Text;
using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using FunctionsProxy.Infra.Tests;
using FunctionsProxy.Infra.Tests.Arm;
using FunctionsProxy.Tests.Infrastructure;
using FunctionsProxy.Tools.FunctionsHost;
using Xunit;

namespace FunctionsProxy.FunctionsHost.Tests.Rehearsal;

/// <summary>
/// The deployment rehearsed on loopback: infra/ compiled to ARM, main.parameters.json resolved as azd does with a
/// sample environment (a real MODEL_MAP, an admin key, the backend URL), the function app's app settings evaluated,
/// and the published app started under the stand-in Functions host with exactly those settings and nothing else of
/// this process's environment. What Azure itself provides runs as loopback stand-ins: the App Service managed-identity
/// endpoint, Key Vault (HTTPS, bearer challenge), Azurite over HTTPS with OAuth for tables and blobs, and Application
/// Insights ingestion. Then the team journey from docs/deploy.md.
/// </summary>
/// <remarks>
/// What differs from a real deployment, and why:
/// <list type="bullet">
/// <item>No setting is changed. What Azure reports for the created resources keeps its public form (storage
/// endpoints, vault URI, Application Insights' endpoints); the worker reaches them through a loopback CONNECT proxy
/// (HTTPS_PROXY) that tunnels exactly those names to their stand-ins and refuses any other destination.</item>
/// <item>The azd environment sets BACKEND_BASE_URL (a template parameter) to the scripted backend on loopback.</item>
/// <item>The platform adds IDENTITY_ENDPOINT and IDENTITY_HEADER (App Service sets them for managed identity),
/// SSL_CERT_FILE (trust for the loopback certificate, what the machine's root store does for Azure's certificates),
/// and HTTPS_PROXY/NO_PROXY (the proxy above; loopback goes direct).</item>
/// </list>
/// </remarks>
public sealed class DeploymentRehearsalTests
{
    private const string AdminKey = "rehearsal-admin-key-6b1e0c9d2f7a4e58";
    private const string RotatedBackendKey = "cpk_rotated_backend_key_after_leak";

    [Fact]
    public async Task The_provisioned_app_serves_the_team_journey_with_azure_stand_ins()
    {
        // Azure's public names, as Azure reports them for the template's resources, served on loopback: the storage
        // account, the vault, and Application Insights' endpoints for the component's connection string.
        const string account = "stsample";
        const string vaultHost = "kv-sample.vault.azure.net";
        string[] telemetryHosts = ["dc.services.visualstudio.com", "rt.services.visualstudio.com"];
        string[] storageHosts = [$"{account}.blob.core.windows.net", $"{account}.queue.core.windows.net", $"{account}.table.core.windows.net"];
        using var certificate = LoopbackCertificate.Create([vaultHost, .. telemetryHosts, .. storageHosts]);
        await using var azurite = await AzuriteHttps.StartAsync(BicepTemplate.RepoRoot, certificate, account);
        await using var identity = await ManagedIdentityEndpoint.StartAsync(SampleAzure.IdentityClientId);
        await using var vault = await KeyVaultStandIn.StartAsync(certificate, SampleAzure.IdentityClientId, new Dictionary<string, string>());
        await using var ingestion = await IngestionStandIn.StartAsync(certificate);
        await using var backend = await ScriptedUpstream.StartAsync();
        var routes = telemetryHosts.ToDictionary(h => h + ":443", _ => ingestion.Port);
        routes[vaultHost + ":443"] = vault.Port;
        routes[storageHosts[0] + ":443"] = azurite.BlobPort;
        routes[storageHosts[1] + ":443"] = azurite.QueuePort;
        routes[storageHosts[2] + ":443"] = azurite.TablePort;
        await using var network = TunnelProxy.Start(routes);

        // --- azd provision, evaluated ---
        var environment = SampleAzure.Environment(("PROXY_ADMIN_KEY", AdminKey), ("BACKEND_BASE_URL", backend.BaseUrl));
        var deployed = SampleAzure.Provision(environment);
        var settings = deployed.AppSettings;
        Assert.Equal($"https://{vaultHost}/", settings["KEYVAULT_URI"]);
        Assert.Equal($"https://{storageHosts[2]}/", settings["STORAGE_TABLE_ENDPOINT"]);
        Assert.Equal(backend.BaseUrl, settings["CHUTES_BASE_URL"]);
        Assert.Equal(SampleAzure.IdentityClientId, settings["AZURE_CLIENT_ID"]);

        // What the deployment creates: the secrets in the vault, the tables in the account.
        Assert.Equal(new[] { "chutes-api-key", "proxy-admin-key" }, deployed.VaultSecrets.Keys.Order().ToArray());
        foreach (var (name, value) in deployed.VaultSecrets) vault.SetSecret(name, value);
        var tables = new TableServiceClient(new Uri(settings["STORAGE_TABLE_ENDPOINT"]), new StandInCredential(),
            new TableClientOptions { Transport = new HttpClientTransport(certificate.TrustingHandler(network.Url)), Retry = { MaxRetries = 0 } });
        foreach (var table in deployed.Tables) await tables.CreateTableIfNotExistsAsync(table);

        // The backend accepts only the current key, as Chutes does once a key is rotated.
        var backendKey = environment["BACKEND_API_KEY"];
        backend.On("/v1/models", r => r.Header("authorization") == "Bearer " + Volatile.Read(ref backendKey)
            ? Reply.Json("""{"object":"list","data":[{"id":"moonshotai/Kimi-K2-Instruct","max_model_len":131072},{"id":"Qwen/Qwen3-32B","max_model_len":40960}]}""")
            : Reply.Json(401, """{"detail":"Invalid API key"}"""));
        backend.On("/v1/chat/completions", r => r.Header("authorization") == "Bearer " + Volatile.Read(ref backendKey)
            ? Reply.Sse(Chunks.Role(), Chunks.Content("I'll list the files."), Chunks.ToolStart(0, "chatcmpl-tool-1", "Bash", ""),
                Chunks.ToolArgs(0, """{"command": "ls -la", "description": "List files"}"""), Chunks.Finish("tool_calls"), Chunks.Usage(14210, 61, cached: 13312), Chunks.Done)
            : Reply.Json(401, """{"detail":"Invalid API key"}"""));

        var workerOutput = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var platform = new Dictionary<string, string>
        {
            ["IDENTITY_ENDPOINT"] = identity.Endpoint,
            ["IDENTITY_HEADER"] = identity.Header,
            ["SSL_CERT_FILE"] = certificate.CertificatePemPath,
            ["HTTPS_PROXY"] = network.Url,
            ["NO_PROXY"] = "127.0.0.1,localhost",
        };
        FunctionsHostServer host;
        try
        {
            host = await FunctionsHostServer.StartAsync(new FunctionsHostOptions
            {
                AppDirectory = await PublishedApp.DirectoryAsync(),
                Settings = settings,
                InheritEnvironment = false,
                PlatformEnvironment = platform,
                WorkerOutput = workerOutput.Enqueue,
            });
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException(e.Message + "\n" + string.Join("\n", workerOutput), e);
        }
        await using var _ = host;
        using var client = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromSeconds(90) };
        string Diagnostics() => "\nworker:\n" + string.Join("\n", workerOutput.TakeLast(40)) + "\nidentity: " + string.Join(", ", identity.Requests) + "\nvault: " + string.Join(", ", vault.Reads) + "\nnetwork: " + string.Join(", ", network.Tunnels);

        // --- the admin creates a key for a team member ---
        var refused = await SendAsync(client, HttpMethod.Post, "/_admin/keys", "wrong-admin-key", """{"name":"alice"}""");
        Assert.True(refused.Status == 401, refused.Body + Diagnostics());
        Assert.Equal("authentication_error", JsonNode.Parse(refused.Body)!["error"]!["type"]!.GetValue<string>());
        var created = await SendAsync(client, HttpMethod.Post, "/_admin/keys", AdminKey, """{"name":"alice","requests_per_minute":60}""");
        Assert.True(created.Status == 201, created.Body + Diagnostics());
        var aliceKey = JsonNode.Parse(created.Body)!["key"]!.GetValue<string>();
        Assert.StartsWith("fpk_", aliceKey);
        // The admin key came from the vault secret the template named, read with the app's identity.
        Assert.Equal("proxy-admin-key", settings["PROXY_ADMIN_KEY_SECRET_NAME"]);
        Assert.Contains(("proxy-admin-key", 200), vault.Reads);
        Assert.NotNull(await tables.GetTableClient(settings["PROXY_KEYS_TABLE"]).QueryAsync<TableEntity>().FirstOrDefaultAsync(e => e.GetString("Name") == "alice" || e.RowKey.Contains("alice", StringComparison.Ordinal)));

        // --- the member streams Claude Code's first request with it ---
        var first = await StreamClaudeCodeAsync(client, aliceKey);
        Assert.True(first.Status == 200, first.Body + Diagnostics());
        AssertToolCallStream(first.Body);
        var sent = backend.ChatRequests[^1];
        Assert.Equal("Bearer cpk_sample_backend_key", sent.Header("authorization"));
        Assert.Equal("moonshotai/Kimi-K2-Instruct", sent.Json!["model"]!.GetValue<string>()); // MODEL_MAP's "sonnet" entry
        Assert.Contains(("chutes-api-key", 200), vault.Reads);

        // --- usage is recorded, in the provisioned usage table ---
        JsonNode? row = null;
        for (var i = 0; i < 50 && row is null; i++)
        {
            var usage = await SendAsync(client, HttpMethod.Get, "/_admin/usage?name=alice", AdminKey);
            Assert.Equal(200, usage.Status);
            row = JsonNode.Parse(usage.Body)!.AsArray().FirstOrDefault(r => r!["key_name"]!.GetValue<string>() == "alice");
            if (row is null) await Task.Delay(100);
        }
        Assert.NotNull(row);
        Assert.Equal(1, row["requests"]!.GetValue<long>());
        Assert.Equal(61, row["output_tokens"]!.GetValue<long>());
        Assert.Equal(13312, row["cache_read_input_tokens"]!.GetValue<long>());
        Assert.NotEmpty(await tables.GetTableClient(settings["PROXY_USAGE_TABLE"]).QueryAsync<TableEntity>().ToListAsync());

        // --- the key is revoked and refused, before any backend call ---
        Assert.Equal(204, (await SendAsync(client, HttpMethod.Delete, "/_admin/keys/alice", AdminKey)).Status);
        var chatCalls = backend.ChatRequests.Count;
        var revoked = await StreamClaudeCodeAsync(client, aliceKey);
        Assert.Equal(401, revoked.Status);
        Assert.Equal("authentication_error", JsonNode.Parse(revoked.Body)!["error"]!["type"]!.GetValue<string>());
        Assert.Equal(chatCalls, backend.ChatRequests.Count);

        // --- the backend key is rotated in the vault (and the old one revoked at the backend): no restart ---
        var bob = await SendAsync(client, HttpMethod.Post, "/_admin/keys", AdminKey, """{"name":"bob"}""");
        Assert.Equal(201, bob.Status);
        vault.SetSecret(settings["CHUTES_API_KEY_SECRET_NAME"], RotatedBackendKey);
        Volatile.Write(ref backendKey, RotatedBackendKey);
        var afterRotation = await StreamClaudeCodeAsync(client, JsonNode.Parse(bob.Body)!["key"]!.GetValue<string>());
        Assert.True(afterRotation.Status == 200, afterRotation.Body + Diagnostics());
        AssertToolCallStream(afterRotation.Body);
        Assert.Equal("Bearer " + RotatedBackendKey, backend.ChatRequests[^1].Header("authorization"));

        // The app reached nothing but what the deployment provides; every token it asked for was for its own
        // identity; nothing secret reached its output.
        Assert.All(network.Tunnels, t => Assert.True(t.Routed, "the worker tried to reach " + t.Target));
        Assert.Contains(network.Tunnels, t => t.Target == storageHosts[2] + ":443");
        Assert.All(identity.Requests, r => Assert.Equal((SampleAzure.IdentityClientId, 200), (r.ClientId, r.Status)));
        Assert.Contains(identity.Requests, r => r.Resource == KeyVaultStandIn.Resource);
        Assert.Contains(identity.Requests, r => r.Resource == "https://storage.azure.com");
        var output = string.Join("\n", workerOutput);
        foreach (var secret in new[] { AdminKey, "cpk_sample_backend_key", RotatedBackendKey, aliceKey }) Assert.DoesNotContain(secret, output);
    }

    private static void AssertToolCallStream(string body)
    {
        var frames = SseFrames.Parse(body);
        SseFrames.AssertGrammar(frames);
        Assert.Equal(
        [
            "message_start",
            "content_block_start:0:text", "content_block_delta:0:text_delta", "content_block_stop:0",
            "content_block_start:1:tool_use", "content_block_delta:1:input_json_delta", "content_block_stop:1",
            "message_delta", "message_stop",
        ], SseFrames.Shape(frames));
        Assert.Equal("""{"command": "ls -la", "description": "List files"}""", SseFrames.Concat(frames.Where(f => f.Event != "ping"), 1, "partial_json"));
    }

    private static async Task<(int Status, string Body)> StreamClaudeCodeAsync(HttpClient client, string proxyKey)
    {
        var sample = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Samples", "cc-2.1.330-first-stream.json")))!;
        var body = sample["body"]!.AsObject();
        body["model"] = "claude-sonnet-4-5-20250929"; // `claude --model sonnet`, as docs/deploy.md has the member run it
        using var request = new HttpRequestMessage(HttpMethod.Post, sample["url"]!.GetValue<string>())
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        foreach (var (name, value) in sample["headers"]!.AsObject())
        {
            // Not a browser: the captured Origin-less headers stay, the compression request is the client's business.
            if (name is "content-type" or "x-api-key" or "accept-encoding") continue;
            request.Headers.TryAddWithoutValidation(name, value!.GetValue<string>());
        }
        request.Headers.Add("x-api-key", proxyKey);
        using var response = await client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<(int Status, string Body)> SendAsync(HttpClient client, HttpMethod method, string path, string apiKey, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("x-api-key", apiKey);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The deployer's view of the storage account (azd's ARM deployment creates the tables).</summary>
    private sealed class StandInCredential : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
            => new(ManagedIdentityEndpoint.Mint(requestContext.Scopes[0].Replace("/.default", "", StringComparison.Ordinal), SampleAzure.IdentityClientId), DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
            => new(GetToken(requestContext, cancellationToken));
    }
}
