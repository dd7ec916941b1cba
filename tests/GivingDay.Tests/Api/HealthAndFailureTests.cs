using GivingDay.Pledges;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GivingDay.Tests.Infrastructure;

namespace GivingDay.Tests.Api;

/// <summary>Liveness needs nothing; readiness needs storage and says which part fails; an unplanned failure is 500
/// problem+json with a trace id and nothing of the exception.</summary>
public class HealthAndFailureTests
{
    [Fact]
    public async Task Readiness_is_503_naming_storage_while_it_is_down_and_200_once_it_is_back()
    {
        using var storage = Azurite.Own.Start();
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), new() { ["AzureWebJobsStorage"] = storage.ConnectionString }, listeners: false);

        var ready = await app.Http.GetAsync("/api/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ready", (await ready.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());

        storage.Stop();
        var down = await app.Http.GetAsync("/api/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        var report = await down.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("unavailable", report.GetProperty("status").GetString());
        var failing = report.GetProperty("checks").EnumerateArray().Where(c => c.GetProperty("status").GetString() == "failing")
            .Select(c => c.GetProperty("name").GetString()).Order().ToList();
        Assert.Equal(["blobs", "queues", "tables"], failing);
        // Liveness does not depend on storage.
        Assert.Equal(HttpStatusCode.OK, (await app.Http.GetAsync("/api/health")).StatusCode);

        // A route that needs storage fails as problem+json with a trace id, and no exception text.
        var failed = await app.Http.GetAsync($"/api/campaigns/{TestCampaigns.NewId()}");
        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal("application/problem+json", failed.Content.Headers.ContentType?.MediaType);
        var problem = await failed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(500, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("traceId").GetString()));
        var text = problem.GetRawText();
        Assert.DoesNotContain("127.0.0.1", text);
        Assert.DoesNotContain("Exception", text);

        storage.Restart();
        var back = await AppInstance.EventuallyAsync(() => app.Http.GetAsync("/api/health/ready"), r => r.StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(60), "readiness once storage is back");
        Assert.Equal("ready", (await back.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
    }
}

public class ConcurrentCampaignEditTests
{
    [Fact]
    public async Task Organisers_writing_one_campaign_at_once_get_200_201_or_409_and_never_500()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), listeners: false);
        var id = TestCampaigns.NewId("edit");

        var creating = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => app.PutCampaignAsync(id, TestCampaigns.Definition())));
        Assert.Single(creating, r => r.StatusCode == HttpStatusCode.Created);
        Assert.All(creating, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Created, HttpStatusCode.OK, HttpStatusCode.Conflict }));

        var replacing = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => app.PutCampaignAsync(id, TestCampaigns.Definition())));
        Assert.All(replacing, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Conflict }));
        Assert.Contains(replacing, r => r.StatusCode == HttpStatusCode.OK);
        Assert.All(replacing.Where(r => r.StatusCode == HttpStatusCode.Conflict),
            r => Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType));
    }
}

public class SettingsAtStartTests
{
    [Theory]
    [InlineData("Organiser:ApiKey", "Organiser__ApiKey")]
    [InlineData("Hashing:DonorKey", "Hashing__DonorKey")]
    public async Task A_start_without_a_secret_outside_development_fails_naming_the_setting(string setting, string appSetting)
    {
        var failure = await Assert.ThrowsAnyAsync<Exception>(() =>
            AppInstance.StartAsync(Azurite.UniquePrefix(), new() { [setting] = "" }, listeners: false));
        Assert.Contains(appSetting, failure.Message);
    }

    [Theory]
    [InlineData("Organiser:ApiKey", "Organiser__ApiKey")]
    [InlineData("Hashing:DonorKey", "Hashing__DonorKey")]
    public async Task A_start_with_an_unresolved_key_vault_reference_fails_naming_the_setting(string setting, string appSetting)
    {
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => AppInstance.StartAsync(Azurite.UniquePrefix(),
            new() { [setting] = "@Microsoft.KeyVault(VaultName=kv-abc;SecretName=organiser-api-key)" }, listeners: false));
        Assert.Contains(appSetting, failure.Message);
        Assert.Contains("Key Vault", failure.Message);
    }

    [Theory]
    [InlineData("ForwardedHeaders:KnownProxies", "10.0.0.300", "ForwardedHeaders__KnownProxies")]
    [InlineData("ForwardedHeaders:KnownNetworks", "10.0.0.0/99", "ForwardedHeaders__KnownNetworks")]
    [InlineData("RateLimit:PerClientPerSecond", "-1", "RateLimit__PerClientPerSecond")]
    [InlineData("Redrive:StaleAfterSeconds", "0", "Redrive__StaleAfterSeconds")]
    [InlineData("FinalSnapshot:GraceSeconds", "-1", "FinalSnapshot__GraceSeconds")]
    [InlineData("Ledger:Source", "tree", "Ledger__Source")]
    [InlineData("Pages:ApiBase", "ftp://example.org", "Pages__ApiBase")]
    public async Task A_start_with_a_malformed_setting_fails_naming_the_setting(string setting, string value, string appSetting)
    {
        var failure = await Assert.ThrowsAnyAsync<Exception>(() =>
            AppInstance.StartAsync(Azurite.UniquePrefix(), new() { [setting] = value }, listeners: false));
        Assert.Contains(appSetting, failure.Message);
    }

    [Fact]
    public void Donors_are_never_hashed_with_the_development_key_outside_development()
    {
        var log = Microsoft.Extensions.Logging.Abstractions.NullLogger<DonorIdentity>.Instance;
        var production = new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { EnvironmentName = "Production" };
        var development = new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { EnvironmentName = "Development" };
        Assert.Contains("Hashing__DonorKey", Assert.Throws<InvalidOperationException>(() => new DonorIdentity(null, production, log)).Message);
        Assert.Contains("Hashing__DonorKey", Assert.Throws<InvalidOperationException>(() => new DonorIdentity(" ", production, log)).Message);
        // In Development the development key serves; a configured key hashes differently from it.
        var fallback = new DonorIdentity(null, development, log).ContactHash("13800000000");
        Assert.NotEqual(fallback, new DonorIdentity("a-real-key", production, log).ContactHash("13800000000"));
    }

    [Fact]
    public async Task In_development_the_app_starts_without_the_secrets()
    {
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), new() { ["Organiser:ApiKey"] = "", ["Hashing:DonorKey"] = "" }, listeners: false,
            args: ["--urls", "http://127.0.0.1:0", "--environment", "Development"]);
        Assert.Equal(HttpStatusCode.OK, (await app.Http.GetAsync("/api/health")).StatusCode);
        // No key configured: every organiser route refuses.
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Http.SendAsync(app.Organiser(HttpMethod.Get, $"/api/organiser/campaigns/x/snapshots"))).StatusCode);
    }
}
