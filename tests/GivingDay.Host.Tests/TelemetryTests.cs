using GivingDay.Otlp;
using System.Net;
using System.Text;
using GivingDay.Tests.Infrastructure;

namespace GivingDay.Host.Tests;

/// <summary>With an OTLP endpoint configured, a pledge is one trace from the HTTP request through the queue message to
/// the counting step, and the operator's metrics arrive.</summary>
public class TelemetryTests
{
    [Fact]
    public async Task A_pledge_is_one_trace_across_intake_and_counting_and_the_metrics_arrive()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var app = await AppInstance.StartAsync(Azurite.UniquePrefix(), new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
            ["SnapshotSchedule"] = "*/1 * * * * *",
        });
        var campaign = TestCampaigns.NewId("otel");
        (await app.PutCampaignAsync(campaign, TestCampaigns.Definition([TestCampaigns.Fund("aixin", 100_000)]))).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.Accepted, (await app.PledgeAsync(campaign, new { projectId = "zaochan", amount = 6600, donor = new { name = "钱七", contact = "13700001111" } })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Http.PostAsync($"/api/campaigns/{campaign}/pledges", new StringContent("{}", Encoding.UTF8, "application/json"))).StatusCode);

        // Spans arrive in the exporter's batches, not necessarily in the order they ended: wait for the three of the trace.
        const string requestName = "POST /api/campaigns/{campaignId}/pledges";
        var spans = await AppInstance.EventuallyAsync(() => Task.FromResult(receiver.Spans()),
            s => s.FirstOrDefault(x => x.Name == "count pledges") is { } c && s.Any(x => x.TraceId == c.TraceId && x.Name == requestName)
                && s.Any(x => x.TraceId == c.TraceId && x.Name == "store pledges"),
            TimeSpan.FromSeconds(60), "the request, store and counting spans");
        var counting = spans.First(s => s.Name == "count pledges");
        var trace = spans.Where(s => s.TraceId == counting.TraceId).ToList();
        // The server's span for the request (the test's own client span, in this process, is its parent).
        var request = Assert.Single(trace, s => s.Name == requestName);
        var store = Assert.Single(trace, s => s.Name == "store pledges");
        // request → store (the commit) → count (across the queue message)
        Assert.Equal(request.SpanId, store.ParentSpanId);
        Assert.Equal(store.SpanId, counting.ParentSpanId);

        var expected = new[]
        {
            "givingday.pledges.accepted", "givingday.pledges.refused", "givingday.pledges.counted", "givingday.counting.lag",
            "givingday.fund.remaining", "givingday.storage.calls",
            // Polly's own, by pipeline: its telemetry is on.
            "resilience.polly.pipeline.duration",
        };
        await AppInstance.EventuallyAsync(() => Task.FromResult(receiver.MetricNames()), names => expected.All(names.Contains),
            TimeSpan.FromSeconds(60), "the operator's metrics");
        Assert.True(receiver.CounterTotal("givingday.storage.calls") > 0);
        await AppInstance.EventuallyAsync(() => Task.FromResult(receiver.LogExports), n => n > 0, TimeSpan.FromSeconds(60), "logs");
    }
}
