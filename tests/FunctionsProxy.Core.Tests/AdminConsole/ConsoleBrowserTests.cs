using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using FunctionsProxy.AdminConsole;
using FunctionsProxy.Tests.Infrastructure;
using PuppeteerSharp;
using Xunit;
using Xunit.Abstractions;

namespace FunctionsProxy.Tests.AdminConsole;

/// <summary>
/// The admin console in a real headless Chromium (the system's Debian <c>chromium</c>; <c>CHROMIUM_PATH</c> overrides):
/// sign in, create a key and see it once, make real calls with it, see usage and cost, revoke it and still see it
/// listed as revoked after a reload — with no console errors and no request leaving the app. Screenshots go to <c>screenshots/</c> in the test output (CI artifacts).
/// Without Chromium this test fails: scripts/test.sh installs it.
/// </summary>
public sealed class ConsoleBrowserTests(ITestOutputHelper output)
{
    private static string ChromiumPath()
    {
        var path = Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } p ? p : "/usr/bin/chromium";
        Assert.True(File.Exists(path), $"Chromium not found at {path}: install it (apt-get install chromium) or set CHROMIUM_PATH; scripts/test.sh does this.");
        return path;
    }

    public static string ScreenshotDir { get; } = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;

    [Fact]
    public async Task An_admin_signs_in_creates_a_key_sees_it_once_sees_usage_and_cost_and_revokes_it()
    {
        var (upstream, proxy) = await ConsoleHost.StartAsync();
        await using var upstreamScope = upstream;
        await using var proxyScope = proxy;
        var origin = proxy.BaseAddress.GetLeftPart(UriPartial.Authority);

        var userData = Directory.CreateTempSubdirectory("fp-chromium-");
        await using var browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = ChromiumPath(),
            Headless = true,
            UserDataDir = userData.FullName,
            Timeout = 60_000,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
        });
        try
        {
            var page = await browser.NewPageAsync();
            page.DefaultTimeout = 30_000;
            var problems = new ConcurrentQueue<string>();
            var requests = new ConcurrentQueue<string>();
            page.Console += (_, e) => { if (e.Message.Type is ConsoleType.Error or ConsoleType.Warning) problems.Enqueue($"console {e.Message.Type}: {e.Message.Text}"); };
            page.PageError += (_, e) => problems.Enqueue("page error: " + e.Message);
            page.Request += (_, e) => requests.Enqueue(e.Request.Url);
            await page.SetViewportAsync(new ViewPortOptions { Width = 1280, Height = 900 });

            var watch = Stopwatch.StartNew();
            var navigation = await page.GoToAsync(origin + "/_admin/", WaitUntilNavigation.Load);
            var loadMs = watch.Elapsed.TotalMilliseconds;
            Assert.Equal(HttpStatusCode.OK, navigation.Status);
            var navigationTiming = await page.EvaluateExpressionAsync<double>("performance.getEntriesByType('navigation')[0].loadEventEnd");
            var transferred = await page.EvaluateExpressionAsync<double>("performance.getEntriesByType('navigation')[0].encodedBodySize + performance.getEntriesByType('resource').reduce((s, r) => s + r.encodedBodySize, 0)");

            // Sign in: the admin key is typed into a password field and never lands in the URL or storage.
            Assert.Equal("password", await page.EvaluateExpressionAsync<string>("document.getElementById('admin-key').type"));
            await page.TypeAsync("#admin-key", ConsoleHost.AdminKey);
            await page.Keyboard.PressAsync("Enter"); // keyboard only
            await page.WaitForSelectorAsync("#app-view:not([hidden])");
            await page.WaitForFunctionAsync("() => document.querySelector('#status dd') !== null");
            Assert.DoesNotContain(ConsoleHost.AdminKey, page.Url);
            Assert.Equal(0, await page.EvaluateExpressionAsync<int>("localStorage.length + sessionStorage.length"));
            Assert.Equal("", await page.EvaluateExpressionAsync<string>("document.cookie"));
            Assert.Equal("", await page.EvaluateExpressionAsync<string>("document.getElementById('admin-key').value"));
            Assert.Contains("reachable", await page.EvaluateExpressionAsync<string>("document.getElementById('status').textContent"));

            // Create a key with a daily budget: shown once with the two lines to paste.
            await page.TypeAsync("#new-name", "erin");
            await page.TypeAsync("#new-usd-day", "5");
            await page.ClickAsync("#create button[type=submit]");
            await page.WaitForSelectorAsync("#new-key:not([hidden])");
            var lines = (await page.EvaluateExpressionAsync<string>("document.getElementById('new-key-lines').textContent")).Split('\n');
            Assert.Equal($"export ANTHROPIC_BASE_URL={origin}", lines[0]);
            Assert.StartsWith("export ANTHROPIC_API_KEY=fpk_", lines[1]);
            var key = lines[1]["export ANTHROPIC_API_KEY=".Length..];
            Assert.True(FunctionsProxy.Team.ProxyKeys.TryParse(key, out _, out _));
            await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#keys tbody tr')].some(r => r.dataset.name === 'erin')");
            Assert.Contains("$5/day", await page.EvaluateExpressionAsync<string>("document.querySelector('#keys tbody tr[data-name=erin]').textContent"));
            await page.ScreenshotAsync(Path.Combine(ScreenshotDir, "console-new-key-desktop-light.png"), new ScreenshotOptions { FullPage = true });

            // Real calls through the proxy with the new key, then usage and cost in the page.
            foreach (var model in new[] { "org/listed", "org/listed", "org/free" })
            {
                upstream.Enqueue(Reply.Json(Chunks.Completion("ok", prompt: 1000, completion: 200, cached: 400)));
                using var r = await proxy.PostMessagesAsync(ConsoleHost.Message(model), key);
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            }
            await page.ClickAsync("#new-key-done");
            Assert.DoesNotContain(key, await page.GetContentAsync()); // seen once: gone from the page
            await page.SelectAsync("#days", "1");
            await page.WaitForFunctionAsync("() => document.querySelectorAll('#usage tbody tr').length === 2");
            var usageRows = await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('#usage tbody tr')].map(r => [...r.cells].map(c => c.textContent).join('|'))");
            var today = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            Assert.Equal([$"{today}|erin|org/free|1|600|200|400|—", $"{today}|erin|org/listed|2|1,200|400|800|$0.0060"], usageRows);
            Assert.Contains("$0.0060 + 1 unpriced requests", await page.EvaluateExpressionAsync<string>("document.getElementById('totals').textContent"));
            Assert.Equal(1, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#chart-day rect.col').length"));
            Assert.Equal("org/listed", await page.EvaluateExpressionAsync<string>("document.querySelector('#chart-model .hbar-label span').textContent"));
            await page.ScreenshotAsync(Path.Combine(ScreenshotDir, "console-usage-desktop-light.png"), new ScreenshotOptions { FullPage = true });
            await page.EmulateMediaFeaturesAsync([new MediaFeatureValue { MediaFeature = MediaFeature.PrefersColorScheme, Value = "dark" }]);
            await page.ScreenshotAsync(Path.Combine(ScreenshotDir, "console-usage-desktop-dark.png"), new ScreenshotOptions { FullPage = true });
            // Phone size in a second tab (its own sign-in: the key lives in one page's memory only).
            var phone = await browser.NewPageAsync();
            phone.DefaultTimeout = 30_000;
            phone.Console += (_, e) => { if (e.Message.Type is ConsoleType.Error or ConsoleType.Warning) problems.Enqueue($"phone console {e.Message.Type}: {e.Message.Text}"); };
            phone.Request += (_, e) => requests.Enqueue(e.Request.Url);
            await phone.SetViewportAsync(new ViewPortOptions { Width = 390, Height = 844, DeviceScaleFactor = 2, IsMobile = true, HasTouch = true });
            await phone.EmulateMediaFeaturesAsync([new MediaFeatureValue { MediaFeature = MediaFeature.PrefersColorScheme, Value = "dark" }]);
            await phone.GoToAsync(origin + "/_admin/", WaitUntilNavigation.Load);
            Assert.Equal(0, await phone.EvaluateExpressionAsync<int>("document.querySelectorAll('#app-view:not([hidden])').length")); // signed out
            await phone.TypeAsync("#admin-key", ConsoleHost.AdminKey);
            await phone.Keyboard.PressAsync("Enter");
            await phone.WaitForFunctionAsync("() => document.querySelectorAll('#usage tbody tr').length > 0 && document.querySelectorAll('#keys tbody tr').length > 0");
            // Nothing wider than the phone's screen: the tables scroll inside their own box.
            Assert.Equal("", await phone.EvaluateExpressionAsync<string>(
                "[...document.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.scroll')).map(e => e.tagName + '#' + e.id + '.' + e.className).join(' ')"));
            Assert.True(await phone.EvaluateExpressionAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"));
            await phone.ScreenshotAsync(Path.Combine(ScreenshotDir, "console-phone-dark.png"), new ScreenshotOptions { FullPage = true });
            await phone.EmulateMediaFeaturesAsync([new MediaFeatureValue { MediaFeature = MediaFeature.PrefersColorScheme, Value = "light" }]);
            await phone.ScreenshotAsync(Path.Combine(ScreenshotDir, "console-phone-light.png"), new ScreenshotOptions { FullPage = true });
            await phone.CloseAsync();

            // Revoke through the confirmation dialog: the row shows as revoked and the key is refused.
            var revoke = await page.QuerySelectorAsync("#keys button[aria-label='Revoke erin']")
                ?? throw new Xunit.Sdk.XunitException("no revoke button in: " + await page.EvaluateExpressionAsync<string>("document.getElementById('keys').outerHTML"));
            await revoke.ClickAsync();
            await page.WaitForSelectorAsync("#confirm-dialog[open]");
            await page.ClickAsync("#confirm-yes");
            await page.WaitForSelectorAsync("#keys tr.revoked[data-name=erin]");
            using (var refused = await proxy.PostMessagesAsync(ConsoleHost.Message("org/listed"), key))
                Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

            // After a reload (which signs out) the key is still listed, as revoked and without actions: the server
            // keeps revoked records, the page does not remember them.
            await page.ReloadAsync();
            await page.WaitForSelectorAsync("#signin-view:not([hidden])");
            await page.TypeAsync("#admin-key", ConsoleHost.AdminKey);
            await page.Keyboard.PressAsync("Enter");
            await page.WaitForSelectorAsync("#keys tr.revoked[data-name=erin]");
            var revokedRow = await page.EvaluateExpressionAsync<string[]>("[...document.querySelector('#keys tbody tr[data-name=erin]').cells].map(c => c.textContent)");
            Assert.Equal(["erin", key[..16] + "…", "$5/day"], new[] { revokedRow[0], revokedRow[1], revokedRow[4] });
            Assert.Matches(@"^revoked \d{4}-\d\d-\d\d \d\d:\d\d$", revokedRow[5]);
            Assert.Equal("", revokedRow[6]);
            Assert.Equal(0, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#keys tr[data-name=erin] button').length"));
            // Greyed: the muted colour of the table's headings, not the text colour of live rows.
            var colours = await page.EvaluateExpressionAsync<string[]>("['#keys tr[data-name=erin] td', '#keys th', 'body'].map(s => getComputedStyle(document.querySelector(s)).color)");
            Assert.Equal(colours[1], colours[0]);
            Assert.NotEqual(colours[2], colours[0]);
            await page.ScreenshotAsync(Path.Combine(ScreenshotDir, "console-revoked-desktop.png"), new ScreenshotOptions { FullPage = true });

            Assert.Empty(problems);
            Assert.All(requests, url => Assert.True(url.StartsWith(origin + "/_admin/", StringComparison.Ordinal) || url.StartsWith("data:", StringComparison.Ordinal), "request left the app: " + url));
            Assert.InRange(loadMs, 0, 10_000);

            var metrics = $"page bytes (html+js+css, uncompressed): {AdminConsoleEndpoint.TotalBytes}\ntransferred bytes: {transferred:0}\nload (navigation to load event, measured by the test): {loadMs:0} ms\nload (performance timing loadEventEnd): {navigationTiming:0} ms\n";
            await File.WriteAllTextAsync(Path.Combine(ScreenshotDir, "console-metrics.txt"), metrics);
            output.WriteLine(metrics + "screenshots: " + ScreenshotDir);
        }
        finally
        {
            await browser.CloseAsync();
            try { userData.Delete(recursive: true); } catch (IOException) { }
        }
    }
}
