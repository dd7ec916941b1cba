using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace GivingDay.Telemetry;

/// <summary>The app's own spans and the figures an operator watches on the day, named once. Both hosts export them
/// (OpenTelemetry: OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, Azure Monitor in Azure).</summary>
public static class GivingDayTelemetry
{
    public const string Name = "GivingDay";

    public static readonly ActivitySource Source = new(Name);
    private static readonly Meter Meter = new(Name);

    public static readonly Counter<long> PledgesAccepted = Meter.CreateCounter<long>("givingday.pledges.accepted", "{pledge}", "Pledges stored (202), replays included.");
    public static readonly Counter<long> PledgesRefused = Meter.CreateCounter<long>("givingday.pledges.refused", "{pledge}", "Pledges refused, by reason: invalid (400), not_found (404), conflict (409: not open, or the same key in flight), too_large (413), unsupported_media_type (415), key_reused (422), rate_limited (429).");
    public static readonly Counter<long> PledgesCounted = Meter.CreateCounter<long>("givingday.pledges.counted", "{pledge}", "Pledges counted into the live totals (each once).");
    public static readonly Histogram<double> CountingLag = Meter.CreateHistogram<double>("givingday.counting.lag", "s", "From a pledge's acceptance to its counting.");
    public static readonly Gauge<long> FundRemaining = Meter.CreateGauge<long>("givingday.fund.remaining", "fen", "What a matching fund has left, per campaign and fund (read at each snapshot tick).");
    public static readonly Counter<long> MessagesPoisoned = Meter.CreateCounter<long>("givingday.messages.poisoned", "{message}", "Queue messages given up on (their last delivery failed: the host moves them to the poison queue), by queue.");
    public static readonly Counter<long> StorageCalls = Meter.CreateCounter<long>("givingday.storage.calls", "{call}", "HTTP calls to storage, by service, method and outcome (ok, client_error, throttled (429), server_error).");

    /// <summary>Records the answer to a pledge: accepted, or refused with the reason its status stands for.</summary>
    public static void PledgeAnswered(int status)
    {
        if (status == 202) { PledgesAccepted.Add(1); return; }
        var reason = status switch
        {
            400 => "invalid", 404 => "not_found", 409 => "conflict", 413 => "too_large", 415 => "unsupported_media_type",
            422 => "key_reused", 429 => "rate_limited", _ => "other",
        };
        PledgesRefused.Add(1, new KeyValuePair<string, object?>("reason", reason));
    }
}
