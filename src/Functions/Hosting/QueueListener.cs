using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using GivingDay.Resilience;
using GivingDay.Storage;

namespace GivingDay.Functions.Hosting;

/// <summary>Standalone mode's queue trigger, with the Functions host's semantics: receive up to batchSize,
/// run up to batchSize + newBatchThreshold at once, delete on success, make a failed message visible again
/// after visibilityTimeout, move it to &lt;queue&gt;-poison once it has failed maxDequeueCount times, and back off
/// when idle up to maxPollingInterval.</summary>
public sealed class QueueListener(QueueFunction function, StorageAccount account, StorageSetup setup, QueueSettings settings, StorageCallCounter calls, IServiceProvider services, ILogger<QueueListener> log)
    : BackgroundService
{
    /// <summary>How long a received message stays hidden while it is processed. A process that dies mid-way
    /// leaves its messages to reappear after this.</summary>
    public static readonly TimeSpan ProcessingLease = TimeSpan.FromMinutes(1);

    private static readonly TimeSpan MinPolling = TimeSpan.FromMilliseconds(50);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try { await setup.Ready.WaitAsync(stoppingToken); } catch (OperationCanceledException) { return; }
        var queue = account.Queue(function.Queue);
        var poison = account.Queues.GetQueueClient(account.Names.PoisonQueue(function.Queue));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await queue.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
                await poison.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
                break;
            }
            catch (OperationCanceledException) { return; }
            catch (Exception e) when (e is RequestFailedException or HttpRequestException or IOException)
            {
                log.LogWarning("Creating {Queue} failed: {Message}", queue.Name, e.Message);
                try { await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken); } catch (OperationCanceledException) { return; }
            }
        }
        var running = new List<Task>();
        var idle = TimeSpan.Zero;

        while (!stoppingToken.IsCancellationRequested)
        {
            running.RemoveAll(t => t.IsCompleted);
            // A new batch is fetched once no more than newBatchThreshold messages are still running,
            // so at most batchSize + newBatchThreshold run at once, as under the host.
            if (running.Count > settings.NewBatchThreshold)
            {
                try { await Task.WhenAny(running).WaitAsync(stoppingToken); } catch (OperationCanceledException) { break; }
                continue;
            }
            QueueMessage[] messages;
            try
            {
                calls.Add();
                messages = (await queue.ReceiveMessagesAsync(settings.BatchSize, ProcessingLease, stoppingToken)).Value;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { break; }
            catch (Exception e) when (e is RequestFailedException or HttpRequestException or IOException)
            {
                log.LogWarning("Receiving from {Queue} failed: {Message}", queue.Name, e.Message);
                messages = [];
            }
            foreach (var message in messages) running.Add(ProcessAsync(queue, poison, message, stoppingToken));
            if (messages.Length > 0) { idle = TimeSpan.Zero; continue; }

            // Idle: back off exponentially up to maxPollingInterval.
            idle = TimeSpan.FromMilliseconds(Math.Min(Math.Max(idle.TotalMilliseconds * 2, MinPolling.TotalMilliseconds),
                Math.Max(settings.MaxPollingInterval.TotalMilliseconds, MinPolling.TotalMilliseconds)));
            try { await Task.Delay(idle, stoppingToken); } catch (OperationCanceledException) { break; }
        }
        try { await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(10)); } catch { /* stopping: unfinished messages reappear */ }
    }

    private async Task ProcessAsync(QueueClient queue, QueueClient poison, QueueMessage message, CancellationToken ct)
    {
        await Task.Yield();
        try
        {
            // Already failed its last allowed try on an earlier delivery (its process died before poisoning it).
            if (message.DequeueCount > settings.MaxDequeueCount) { await PoisonAsync(queue, poison, message, ct); return; }
            var input = new QueueMessageInput(message.Body.ToString(), message.DequeueCount, message.MessageId, message.InsertedOn);
            await using (var scope = services.CreateAsyncScope())
                await function.Run(scope.ServiceProvider, input, ct);
            calls.Add();
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            log.LogWarning(e, "{Function} failed on message {Id} (try {Count} of {Max})", function.Name, message.MessageId, message.DequeueCount, settings.MaxDequeueCount);
            try
            {
                if (message.DequeueCount >= settings.MaxDequeueCount) await PoisonAsync(queue, poison, message, ct);
                else await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: settings.VisibilityTimeout, cancellationToken: ct);
            }
            catch (Exception inner) when (inner is RequestFailedException or HttpRequestException or IOException)
            {
                // The message reappears when its processing lease ends; its dequeue count still rises.
                log.LogWarning("Could not release message {Id}: {Message}", message.MessageId, inner.Message);
            }
        }
        catch (OperationCanceledException) { /* stopping: the message reappears after its lease */ }
    }

    private async Task PoisonAsync(QueueClient queue, QueueClient poison, QueueMessage message, CancellationToken ct)
    {
        log.LogError("Message {Id} on {Queue} failed {Count} times: moved to {Poison}", message.MessageId, queue.Name, message.DequeueCount, poison.Name);
        await poison.SendMessageAsync(message.Body.ToString(), ct);
        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct);
    }
}
