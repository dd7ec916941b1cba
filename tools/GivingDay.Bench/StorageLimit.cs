using System.Diagnostics;
using Azure.Data.Tables;
using Azure.Storage.Queues;

namespace GivingDay.Bench;

/// <summary>The physical limit, measured in the same run: how fast this storage (Azurite on this machine) takes
/// 100-entity table transactions and queue messages when nothing else is asked of it.</summary>
public static class StorageLimit
{
    public sealed record Figures(double EntitiesPerSecond, double QueueSendsPerSecond, double QueueReceiveDeletesPerSecond);

    public static async Task<Figures> MeasureAsync(string connectionString, TimeSpan each, int parallel = 8)
    {
        var suffix = $"{DateTime.UtcNow:HHmmss}{Random.Shared.Next(1000):000}";
        var table = new TableClient(connectionString, "benchlimit" + suffix);
        var queue = new QueueClient(connectionString, "benchlimit-" + suffix);
        await table.CreateIfNotExistsAsync();
        await queue.CreateIfNotExistsAsync();
        try
        {
            // Rows the size of a pledge row: a few ids, an amount, a masked Chinese name and a message.
            var entities = await RunAsync(each, parallel, async (worker, n) =>
            {
                var partition = $"w{worker}";
                var actions = Enumerable.Range(0, 100).Select(i => new TableTransactionAction(TableTransactionActionType.Add,
                    new TableEntity(partition, $"p|{n:000000}|{i:000}")
                    {
                        ["ProjectId"] = "zaochan", ["Amount"] = 5000L, ["DonorHash"] = "0123456789abcdef01234567",
                        ["MaskedName"] = "王**", ["Message"] = "愿早产宝宝们平安长大", ["AcceptedAt"] = DateTimeOffset.UtcNow,
                    })).ToList();
                await table.SubmitTransactionAsync(actions);
                return 100;
            });
            // Messages the size of a pledge batch (48 pledges as JSON, base64: ~30 KB).
            var text = new string('x', 30_000);
            var sends = await RunAsync(each, parallel, async (_, _) => { await queue.SendMessageAsync(text); return 1; });
            var receives = await RunAsync(each, parallel, async (_, _) =>
            {
                var got = (await queue.ReceiveMessagesAsync(32)).Value;
                await Task.WhenAll(got.Select(m => queue.DeleteMessageAsync(m.MessageId, m.PopReceipt)));
                return got.Length;
            });
            return new Figures(entities, sends, receives);
        }
        finally
        {
            await table.DeleteAsync();
            await queue.DeleteIfExistsAsync();
        }
    }

    private static async Task<double> RunAsync(TimeSpan duration, int parallel, Func<int, int, Task<int>> work)
    {
        var done = 0L;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, parallel).Select(async worker =>
        {
            // A worker that finds nothing more to do (an empty queue) stops; the rate is over the time used.
            for (var n = 0; watch.Elapsed < duration; n++)
            {
                var did = await work(worker, n);
                if (did == 0) break;
                Interlocked.Add(ref done, did);
            }
        }));
        return done / watch.Elapsed.TotalSeconds;
    }
}
