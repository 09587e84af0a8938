using FunctionsProxy.Hosting;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// The Azure Functions host for the proxy: ASP.NET Core integration (so SSE streams event by event) and the same
// Core registration the local host uses. Triggers in Functions/ only hand the HttpContext to Core.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();

builder.Services.AddApplicationInsightsTelemetryWorkerService().ConfigureFunctionsApplicationInsights();
// The Application Insights provider defaults to Warning and above; the host.json levels should decide instead.
builder.Logging.Services.Configure<LoggerFilterOptions>(options =>
{
    var rule = options.Rules.FirstOrDefault(r => r.ProviderName == "Microsoft.Extensions.Logging.ApplicationInsights.ApplicationInsightsLoggerProvider");
    if (rule is not null) options.Rules.Remove(rule);
});
builder.Services.AddFunctionsProxyCore(builder.Configuration);
// Origin check, JSON-only bodies and Anthropic-shaped error answers, as on the local host. No Host filter: the
// Functions front end routes by host name and the worker only sees its forwarded requests. The guard runs in the
// triggers (HttpFunction): a request refused before its function runs would be a failed invocation.
builder.Services.AddFunctionsProxyHttpGuards(filterHostNames: false, guardInTriggers: true);

builder.Build().Run();
