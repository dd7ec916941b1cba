using System.Text;
using System.Text.Json;
using GivingDay.Campaigns;
using GivingDay.Functions;
using GivingDay.Json;
using GivingDay.Pledges;
using Microsoft.Azure.Functions.Worker;

namespace GivingDay.Host.Tests;

/// <summary>In Azure the worker turns a queue message into the function's typed parameter with its configured serializer:
/// it must read what the intake and the close write, amounts in fen included.</summary>
public class WorkerSerializerTests
{
    private static async Task<T?> WorkerReadsAsync<T>(string message)
    {
        var options = new WorkerOptions();
        Composition.ConfigureWorker(options);
        return (T?)await options.Serializer!.DeserializeAsync(new MemoryStream(Encoding.UTF8.GetBytes(message)), typeof(T), default);
    }

    [Theory]
    [InlineData(typeof(PledgeBatchMessage))]
    [InlineData(typeof(CloseMessage))]
    [InlineData(typeof(Campaign))]
    [InlineData(typeof(GivingDay.Totals.TotalsState))]
    public void The_apps_messages_and_documents_are_read_and_written_with_source_generated_metadata(Type type)
    {
        Assert.IsType<GivingDayJsonContext>(GivingDayJson.Options.TypeInfoResolverChain[0]);
        Assert.NotNull(((System.Text.Json.Serialization.Metadata.IJsonTypeInfoResolver)GivingDayJsonContext.Default).GetTypeInfo(type, GivingDayJson.Options));
    }

    [Fact]
    public async Task The_worker_reads_a_pledge_batch_as_the_intake_writes_it()
    {
        var pledge = new Pledge("p1", "c1", "zaochan", new GivingDay.Amounts.Money(5000), "hash", "张*", "加油", Channels.Online,
            new DateTimeOffset(2026, 5, 8, 10, 0, 0, TimeSpan.FromHours(8)), "fingerprint");
        var written = JsonSerializer.Serialize(new PledgeBatchMessage("c1", [pledge]), GivingDayJson.Options);

        var read = await WorkerReadsAsync<PledgeBatchMessage>(written);

        Assert.NotNull(read);
        Assert.Equal("c1", read.CampaignId);
        Assert.Equal(pledge, Assert.Single(read.Pledges));
    }

    [Fact]
    public async Task The_worker_reads_a_close_message_as_the_close_writes_it()
    {
        var read = await WorkerReadsAsync<CloseMessage>(JsonSerializer.Serialize(new CloseMessage("nantong-58-2026"), GivingDayJson.Options));
        Assert.Equal(new CloseMessage("nantong-58-2026"), read);
    }
}
