using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using GivingDay.Resilience;
using GivingDay.Storage;
using GivingDay.Telemetry;
using Microsoft.Extensions.Configuration;

namespace GivingDay.Tests.Telemetry;

/// <summary>givingday.storage.calls labels each HTTP call to storage by its outcome, throttling (429) on its own, since it
/// is what an operator watches while routine 404/409/412 answers stay client errors.</summary>
public class StorageCallsMetricTests
{
    [Theory]
    [InlineData(429, "throttled")]
    [InlineData(412, "client_error")]
    [InlineData(503, "server_error")]
    [InlineData(200, "ok")]
    public async Task A_call_to_the_table_endpoint_is_counted_with_its_outcome(int status, string outcome)
    {
        // A stand-in table endpoint that answers every request with the status under test.
        var port = FreePort();
        using var endpoint = new HttpListener();
        endpoint.Prefixes.Add($"http://127.0.0.1:{port}/");
        endpoint.Start();
        _ = Task.Run(async () =>
        {
            var context = await endpoint.GetContextAsync();
            context.Response.StatusCode = status;
            context.Response.Close();
        });
        var account = StorageAccount.FromConfiguration(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;" +
                $"BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;QueueEndpoint=http://127.0.0.1:2/devstoreaccount1;TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;",
        }).Build());

        var seen = new ConcurrentBag<(string Service, string Outcome)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == GivingDayTelemetry.Name && instrument.Name == "givingday.storage.calls") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            string? service = null, result = null;
            foreach (var tag in tags)
                if (tag.Key == "service") service = tag.Value as string;
                else if (tag.Key == "outcome") result = tag.Value as string;
            if (service is not null && result is not null) seen.Add((service, result));
        });
        listener.Start();
        using var counter = new StorageCallCounter(account);

        using var http = new HttpClient();
        using var answer = await http.GetAsync($"http://127.0.0.1:{port}/devstoreaccount1/Tables");

        Assert.Equal(status, (int)answer.StatusCode);
        Assert.Contains(("table", outcome), seen);
        Assert.Equal(1, counter.Calls);
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
