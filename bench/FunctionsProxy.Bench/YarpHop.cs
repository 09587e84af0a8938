using System.Globalization;
using Yarp.ReverseProxy.Configuration;

namespace FunctionsProxy.Bench;

/// <summary>One ASP.NET Core proxy hop without translation: YARP forwarding everything to the upstream. Its cost is
/// the floor any ASP.NET Core proxy pays; the FunctionsProxy ratio against it shows what translation costs.</summary>
internal static class YarpHop
{
    public static async Task<int> RunAsync(string[] args)
    {
        var port = int.Parse(Args.Value(args, "--port") ?? "0", CultureInfo.InvariantCulture);
        var upstream = Args.Value(args, "--upstream") ?? throw new ArgumentException("--upstream URL is required");
        var builder = BenchServer.CreateBuilder(port);
        builder.Services.AddReverseProxy().LoadFromMemory(
            [new RouteConfig { RouteId = "all", ClusterId = "upstream", Match = new RouteMatch { Path = "{**catch-all}" } }],
            [new ClusterConfig
            {
                ClusterId = "upstream",
                Destinations = new Dictionary<string, DestinationConfig> { ["one"] = new() { Address = upstream } },
                HttpClient = new HttpClientConfig { MaxConnectionsPerServer = int.MaxValue, DangerousAcceptAnyServerCertificate = false },
            }]);
        var app = builder.Build();
        app.MapReverseProxy();
        await app.StartAsync();
        Console.WriteLine("ready " + app.Urls.First());
        await app.WaitForShutdownAsync();
        return 0;
    }
}
