using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using GivingDay.Json;
using GivingDay.Resilience;
using GivingDay.StandaloneHost;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GivingDay.Tests.Infrastructure;

/// <summary>One running standalone host, on a free loopback port, against Azurite. Several instances with the same
/// prefix share storage, as side-by-side processes would. <c>listeners: false</c> starts HTTP only (no queue or timer
/// triggers), for tests that drive counting themselves.</summary>
public sealed class AppInstance : IAsyncDisposable
{
    public const string OrganiserKey = "test-organiser-key";

    public WebApplication App { get; }
    public HttpClient Http { get; }
    public string Prefix { get; }
    public Uri BaseAddress { get; }

    private AppInstance(WebApplication app, string prefix)
    {
        App = app; Prefix = prefix;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
        // Every exchange is checked against the OpenAPI document: each API test proves the document as well.
        Http = new HttpClient(new ContractCheck(OpenApiContract.Api)) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public static async Task<AppInstance> StartAsync(string prefix, Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null, bool listeners = true, string[]? args = null)
    {
        var config = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = Azurite.ConnectionString,
            ["Storage:NamePrefix"] = prefix,
            ["Organiser:ApiKey"] = OrganiserKey,
            ["Hashing:DonorKey"] = "test-donor-key",
            ["RateLimit:PerClientPerSecond"] = "0",
            [StandaloneApp.TriggersSetting] = listeners ? "true" : "false",
            ["AzureFunctionsJobHost:extensions:queues:maxPollingInterval"] = "00:00:00.200",
            ["AzureFunctionsJobHost:extensions:queues:visibilityTimeout"] = "00:00:00.500",
            ["RedriveSchedule"] = "*/2 * * * * *",
        };
        foreach (var (k, v) in settings ?? []) config[k] = v;
        var app = StandaloneApp.Build(args ?? ["--urls", "http://127.0.0.1:0"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(config);
            builder.Logging.ClearProviders();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            services?.Invoke(builder.Services);
        });
        await app.StartAsync();
        var instance = new AppInstance(app, prefix);
        await app.Services.GetRequiredService<GivingDay.Storage.StorageSetup>().Ready.WaitAsync(TimeSpan.FromSeconds(60));
        return instance;
    }

    public T Get<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public HttpRequestMessage Organiser(HttpMethod method, string path, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", OrganiserKey);
        return request;
    }

    public async Task<HttpResponseMessage> PutCampaignAsync(string id, object definition)
    {
        var response = await Http.SendAsync(Organiser(HttpMethod.Put, $"/api/organiser/campaigns/{id}", JsonContent.Create(definition, options: GivingDayJson.Options)));
        return response;
    }

    public async Task<HttpResponseMessage> PledgeAsync(string campaignId, object body, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/campaigns/{campaignId}/pledges") { Content = JsonContent.Create(body, options: GivingDayJson.Options) };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return await Http.SendAsync(request);
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        var response = await Http.GetAsync(path);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Waits until counting has settled: the pledge queue is empty (messages being processed still count
    /// there until deleted) and no accepted pledge of the campaign is still listed in an outbox marker. Past that
    /// nothing more can be counted for it, so what the totals say then is final.</summary>
    public async Task SettledAsync(string campaignId, TimeSpan? timeout = null)
    {
        var account = Get<GivingDay.Storage.StorageAccount>();
        var queue = account.Queue(GivingDay.Storage.StorageNames.PledgeQueue);
        await EventuallyAsync(async () => (Queued: (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount,
                Uncounted: await MarkedPledgesLeftAsync(account, campaignId)),
            s => s is { Queued: 0, Uncounted: 0 }, timeout, "counting settled");
    }

    /// <summary>How many pledges outbox markers still list (accepted, not counted).</summary>
    public static async Task<int> MarkedPledgesLeftAsync(GivingDay.Storage.StorageAccount account, string campaignId)
    {
        var n = 0;
        await foreach (var marker in account.Table(GivingDay.Storage.StorageNames.LedgerTable).QueryAsync<Azure.Data.Tables.TableEntity>(
            $"{GivingDay.Totals.ShardLayout.AllPartitionsFilter(campaignId)} and RowKey ge 'q|' and RowKey lt 'q}}'")) n += GivingDay.Pledges.PledgeRows.MarkedPledges(marker).Count;
        return n;
    }

    /// <summary>Polls until <paramref name="done"/> holds, up to <paramref name="timeout"/> (generous: CI is slow).</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan? timeout = null, string? what = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        T last;
        while (true)
        {
            last = await read();
            if (done(last)) return last;
            if (DateTime.UtcNow > until) throw new TimeoutException($"{what ?? "condition"} not reached; last value: {JsonSerializer.Serialize(last)}");
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            try { await App.StopAsync(stop.Token); } catch (OperationCanceledException) { }
        await App.DisposeAsync();
    }
}

/// <summary>Campaign definitions for tests, shaped like the 5·8 campaigns in the seed reports.</summary>
public static class TestCampaigns
{
    public static string NewId(string hint = "c") => $"{hint}-{Guid.NewGuid():N}"[..Math.Min(40, hint.Length + 33)];

    public static object Definition(object[]? funds = null, DateTimeOffset? startsAt = null, DateTimeOffset? endsAt = null, long? minPledge = null, long? maxPledge = null, int? shards = null) => new Dictionary<string, object?>
    {
        ["shards"] = shards,
        ["name"] = "2026年南通市红十字会5·8人道公益日",
        ["event"] = "5.8",
        ["startsAt"] = (startsAt ?? DateTimeOffset.UtcNow.AddHours(-1)).ToString("yyyy-MM-ddTHH:mm:sszzz"),
        ["endsAt"] = (endsAt ?? DateTimeOffset.UtcNow.AddDays(1)).ToString("yyyy-MM-ddTHH:mm:sszzz"),
        ["minPledge"] = minPledge,
        ["maxPledge"] = maxPledge,
        ["projects"] = new object[]
        {
            new { id = "zaochan", name = "守护早产小天使", goal = 10_000_000 },
            new { id = "weixinyuan", name = "红十字微心愿", goal = 5_000_000 },
            new { id = "songwanjia", name = "博爱送万家", goal = 8_000_000 },
        },
        ["matchingFunds"] = funds ?? [],
    };

    public static object Fund(string id, long pool, string ratio = "1", long? perPledgeCap = null, long? perDonorCap = null, string[]? projectIds = null,
        DateTimeOffset? startsAt = null, DateTimeOffset? endsAt = null) => new Dictionary<string, object?>
    {
        ["id"] = id,
        ["sponsor"] = "爱心企业",
        ["ratio"] = JsonDocument.Parse(ratio).RootElement,
        ["pool"] = pool,
        ["perPledgeCap"] = perPledgeCap,
        ["perDonorCap"] = perDonorCap,
        ["projectIds"] = projectIds,
        ["startsAt"] = startsAt?.ToString("yyyy-MM-ddTHH:mm:sszzz"),
        ["endsAt"] = endsAt?.ToString("yyyy-MM-ddTHH:mm:sszzz"),
    };
}
