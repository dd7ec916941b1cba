using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GivingDay.Otlp;

/// <summary>An OTLP/HTTP (protobuf) receiver on loopback that keeps what it is sent, read with a small protobuf walker:
/// the spans (trace id, span id, parent, name), the metric names and a counter's total. The benchmark reads the app's
/// storage calls with it; the host tests link it. Independent of the exporter's own types.</summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    public sealed record Span(string TraceId, string SpanId, string ParentSpanId, string Name);

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<byte[]> _traces = new(), _metrics = new(), _logs = new();

    /// <summary>The base address, once started.</summary>
    public string Endpoint => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    private OtlpReceiver(WebApplication app) => _app = app;

    public static async Task<OtlpReceiver> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder(["--urls", $"http://127.0.0.1:{port}"]);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/traces", (HttpRequest r) => receiver.KeepAsync(r, receiver._traces));
        app.MapPost("/v1/metrics", (HttpRequest r) => receiver.KeepAsync(r, receiver._metrics));
        app.MapPost("/v1/logs", (HttpRequest r) => receiver.KeepAsync(r, receiver._logs));
        await app.StartAsync();
        return receiver;
    }

    private async Task<IResult> KeepAsync(HttpRequest request, ConcurrentQueue<byte[]> into)
    {
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body);
        into.Enqueue(body.ToArray());
        return Results.Ok();
    }

    public IReadOnlyList<Span> Spans() => _traces.SelectMany(export =>
        // ExportTraceServiceRequest.resource_spans(1) → ResourceSpans.scope_spans(2) → ScopeSpans.spans(2)
        Messages(export, 1).SelectMany(rs => Messages(rs, 2)).SelectMany(ss => Messages(ss, 2)).Select(span =>
        {
            var fields = Fields(span).ToList();
            string Hex(int n) => fields.Where(f => f.Number == n).Select(f => Convert.ToHexStringLower(f.Value)).FirstOrDefault() ?? "";
            var name = fields.Where(f => f.Number == 5).Select(f => System.Text.Encoding.UTF8.GetString(f.Value)).FirstOrDefault() ?? "";
            return new Span(Hex(1), Hex(2), Hex(4), name);
        })).ToList();

    public IReadOnlySet<string> MetricNames() => _metrics.SelectMany(export =>
        // ExportMetricsServiceRequest.resource_metrics(1) → ResourceMetrics.scope_metrics(2) → ScopeMetrics.metrics(2) → Metric.name(1)
        Messages(export, 1).SelectMany(rm => Messages(rm, 2)).SelectMany(sm => Messages(sm, 2))
            .SelectMany(m => Fields(m).Where(f => f.Number == 1).Select(f => System.Text.Encoding.UTF8.GetString(f.Value)))).ToHashSet();

    /// <summary>A monotonic counter's total over every exporting process: per process (resource), the sum of its data
    /// points in the last export that carried the metric (cumulative temporality, the exporter's default).</summary>
    public long CounterTotal(string metricName)
    {
        var latest = new Dictionary<string, long>();
        foreach (var export in _metrics.ToArray())
            // ExportMetricsServiceRequest.resource_metrics(1) → ResourceMetrics.resource(1), scope_metrics(2) → metrics(2)
            foreach (var rm in Messages(export, 1))
            {
                var resource = Convert.ToBase64String(Messages(rm, 1).FirstOrDefault() ?? []);
                // Metric.name(1), sum(7) → Sum.data_points(1) → NumberDataPoint.as_int(6, sfixed64)
                var sums = Messages(rm, 2).SelectMany(sm => Messages(sm, 2))
                    .Where(m => Messages(m, 1).Any(n => System.Text.Encoding.UTF8.GetString(n) == metricName))
                    .SelectMany(m => Messages(m, 7)).ToList();
                if (sums.Count == 0) continue;
                latest[resource] = sums.SelectMany(s => Messages(s, 1)).SelectMany(p => Messages(p, 6)).Sum(v => BitConverter.ToInt64(v));
            }
        return latest.Values.Sum();
    }

    /// <summary>How many processes (resources) have exported the metric so far.</summary>
    public int Exporters(string metricName) => _metrics.ToArray()
        .SelectMany(export => Messages(export, 1))
        .Where(rm => Messages(rm, 2).SelectMany(sm => Messages(sm, 2)).Any(m => Messages(m, 1).Any(n => System.Text.Encoding.UTF8.GetString(n) == metricName)))
        .Select(rm => Convert.ToBase64String(Messages(rm, 1).FirstOrDefault() ?? [])).Distinct().Count();

    public int LogExports => _logs.Count;

    private static IEnumerable<byte[]> Messages(byte[] message, int field) => Fields(message).Where(f => f.Number == field).Select(f => f.Value);

    /// <summary>The length-delimited and 64-bit fields of a protobuf message (varints and 32-bit ones are skipped).</summary>
    private static IEnumerable<(int Number, byte[] Value)> Fields(byte[] message)
    {
        var i = 0;
        var found = new List<(int, byte[])>();
        while (i < message.Length)
        {
            var key = Varint(message, ref i);
            var (number, type) = ((int)(key >> 3), (int)(key & 7));
            switch (type)
            {
                case 0: Varint(message, ref i); break;
                case 1: found.Add((number, message[i..(i + 8)])); i += 8; break;
                case 5: i += 4; break;
                case 2:
                    var length = (int)Varint(message, ref i);
                    found.Add((number, message[i..(i + length)]));
                    i += length;
                    break;
                default: throw new InvalidDataException($"wire type {type} at {i}");
            }
        }
        return found;
    }

    private static ulong Varint(byte[] b, ref int i)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var next = b[i++];
            value |= (ulong)(next & 0x7f) << shift;
            if ((next & 0x80) == 0) return value;
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
