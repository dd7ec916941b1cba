using GivingDay.Campaigns;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Azure.Data.Tables;
using GivingDay.Ledger;
using GivingDay.Pledges;
using GivingDay.Resilience;
using GivingDay.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

// The ledger benchmark (not a test; figures vary with the machine). Builds a campaign ledger of --entries entries
// (default 100,000) in Azurite, the last --tick (default 10,000) of them sequenced by one timed tick from counted
// pledge rows, then measures inclusion and consistency proofs from a warm reader.
// Usage: dotnet tools/GivingDay.LedgerBench/bin/Release/net10.0/GivingDay.LedgerBench.dll [--entries N] [--tick N] [--proofs N] [--data-folder] [--markers]
// Uses AzureWebJobsStorage when set; otherwise starts Azurite (tools/azurite) on free ports with a fresh data folder.
var options = Args(args);
var total = int.Parse(options.GetValueOrDefault("entries", "100000"));
var tickSize = int.Parse(options.GetValueOrDefault("tick", "10000"));
var proofs = int.Parse(options.GetValueOrDefault("proofs", "2000"));
Process? azurite = null;
// Azurite keeps tables in LokiJS; with a data folder it serialises the whole database every 5 s on its one thread,
// which at 100,000+ rows stalls every request for seconds: that measures Azurite's persistence, not the ledger.
// So by default it runs in memory here; --data-folder runs it as scripts/run.sh does.
var persist = options.ContainsKey("data-folder");
var connection = Environment.GetEnvironmentVariable("AzureWebJobsStorage") is { Length: > 0 } fromEnv ? fromEnv : StartAzurite(persist, out azurite);
try
{
    var prefix = "lb" + Guid.NewGuid().ToString("N")[..10];
    var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["AzureWebJobsStorage"] = connection,
        ["Storage:NamePrefix"] = prefix,
    }).Build();
    var campaign = "bench-58";
    var account = StorageAccount.FromConfiguration(config);
    using var storageCalls = new StorageCallCounter(account);
    var pipelines = StoragePipelines.Provider([]);
    LedgerReader NewReader(out LedgerStore store)
    {
        store = new LedgerStore(account, pipelines);
        return new LedgerReader(store, new CheckpointStore(store), TimeProvider.System);
    }
    var writerStore = new LedgerStore(account, pipelines);
    var checkpoints = new CheckpointStore(writerStore);
    var signer = new CheckpointSigner(account, pipelines, LedgerOptions.FromConfiguration(config), TimeProvider.System, NullLogger<CheckpointSigner>.Instance);
    var sequencer = new LedgerSequencer(writerStore);
    var markers = options.ContainsKey("markers");
    var ledgerOptions = LedgerOptions.FromConfiguration(config) with { Source = markers ? LedgerSourceMode.Markers : LedgerSourceMode.Scan };
    var source = new LedgerSource(account, writerStore, pipelines, ledgerOptions, new CampaignStore(account, pipelines, TimeProvider.System));
    var tick = new LedgerTick(source, sequencer, signer, checkpoints);
    var pledgeTable = account.Table(StorageNames.LedgerTable);
    await pledgeTable.CreateIfNotExistsAsync();

    Console.WriteLine($"ledger benchmark: {total:N0} entries, the last {tickSize:N0} in one tick; {Environment.ProcessorCount} cores; storage {(azurite is null ? "from AzureWebJobsStorage" : persist ? "Azurite started here, data folder" : "Azurite started here, in memory")}");

    // The earlier entries: counted pledge rows (as counting leaves them, counted an hour ago) and their sequencing,
    // 10,000 per call as ticks would have done, so the partition holds what a real campaign's would.
    var prefill = total - tickSize;
    var watch = Stopwatch.StartNew();
    var earlier = DateTimeOffset.UtcNow.AddHours(-1);
    var prefillTimes = new List<double>();
    for (var from = 0; from < prefill; from += 10_000)
    {
        // Counted at 10,000 a minute (a busy giving day), an hour ago.
        var batch = Enumerable.Range(from, Math.Min(10_000, prefill - from)).Select(i => (Entry: Entry(i), CountedAt: earlier.AddMilliseconds(i * 6))).ToList();
        await WritePledgesAsync(pledgeTable, campaign, batch);
        var t = Stopwatch.StartNew();
        await sequencer.AppendAsync(campaign, batch.Select(b => new PendingEntry(b.Entry, b.CountedAt)).ToList(), default);
        prefillTimes.Add(t.Elapsed.TotalSeconds);
        var head = await writerStore.HeadAsync(campaign, default);
        await checkpoints.PublishAsync(await signer.SignAsync(campaign, head.TreeSize, head.Root, default), default);
    }
    Console.WriteLine($"prefill: {prefill:N0} pledge rows written and sequenced in {watch.Elapsed.TotalSeconds:F1} s " +
        $"(sequencing calls of 10,000: {string.Join(", ", prefillTimes.Select(s => s.ToString("F2")))} s)");

    // The timed tick: 10,000 newly counted pledges found by the source, sequenced, and a checkpoint signed and stored.
    var fresh = Enumerable.Range(prefill, tickSize).Select(i => (Entry: Entry(i), CountedAt: DateTimeOffset.UtcNow.AddMilliseconds(i - prefill))).ToList();
    await WritePledgesAsync(pledgeTable, campaign, fresh);
    // --markers: as counting would with the proposed change, one marker per counting step of 48 pledges.
    if (markers)
        await Parallel.ForEachAsync(fresh.Chunk(48), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (step, ct) =>
            await pledgeTable.AddEntityAsync(LedgerMarkers.Row(campaign, step[0].CountedAt, step.Select(s => s.Entry)), ct));
    var callsBefore = storageCalls.Calls;
    watch.Restart();
    var pending = await source.PendingAsync(campaign, fullSweep: false, default);
    var found = watch.Elapsed.TotalSeconds;
    var sequenced = await sequencer.AppendAsync(campaign, pending.Entries, default);
    await source.AcknowledgeAsync(campaign, pending.Markers, default);
    var appended = watch.Elapsed.TotalSeconds;
    var sequencingCalls = storageCalls.Calls - callsBefore;
    // What LedgerTick does after sequencing: sign the new head and store the checkpoint.
    var checkpoint = await checkpoints.PublishAsync(await signer.SignAsync(campaign, sequenced.TreeSize, sequenced.Root, default), default);
    var tickSeconds = watch.Elapsed.TotalSeconds;
    Console.WriteLine($"tick ({(markers ? "markers" : "scan")}): {pending.Entries.Count:N0} found by the source in {found:F2} s, {sequenced.Appended:N0} sequenced in {appended - found:F2} s " +
        $"({sequencingCalls} storage calls: reads and transactions), checkpoint {checkpoint.TreeSize:N0} signed and stored in {tickSeconds - appended:F2} s: " +
        $"{tickSeconds:F2} s in all (target ≤ 5 s)");
    // And a tick with nothing new costs one query and a head read.
    watch.Restart();
    var idle = await tick.RunAsync(campaign, default);
    Console.WriteLine($"an idle tick afterwards (nothing new): {watch.Elapsed.TotalMilliseconds:F0} ms, checkpoint stays {idle!.TreeSize:N0}");
    if (checkpoint.TreeSize != total) throw new InvalidOperationException($"expected {total} entries, checkpoint says {checkpoint.TreeSize}");

    // Proofs from a warm reader: one reader (as one warm instance), a warm-up pass, then timed requests.
    var reader = NewReader(out _);
    var random = new Random(58);
    async Task<double[]> TimeAsync(int n, Func<Task> call)
    {
        var times = new double[n];
        for (var i = 0; i < n; i++)
        {
            var t = Stopwatch.GetTimestamp();
            await call();
            times[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        }
        return times;
    }
    Task Inclusion() => reader.InclusionProofAsync(campaign, Entry(random.Next(total)).PledgeId, total, default)
        .ContinueWith(r => { if (r.Result.Outcome != LedgerOutcome.Found) throw new InvalidOperationException(r.Result.Detail); });
    Task Consistency()
    {
        var second = random.Next(2, total + 1);
        return reader.ConsistencyProofAsync(campaign, random.Next(1, second), second, default)
            .ContinueWith(r => { if (r.Result.Outcome != LedgerOutcome.Found) throw new InvalidOperationException(r.Result.Detail); });
    }
    var coldInclusion = await TimeAsync(200, Inclusion);
    var coldConsistency = await TimeAsync(200, Consistency);
    await TimeAsync(proofs, Inclusion);
    await TimeAsync(proofs, Consistency);
    var inclusion = await TimeAsync(proofs, Inclusion);
    var consistency = await TimeAsync(proofs, Consistency);
    Console.WriteLine($"inclusion proofs, tree of {total:N0}, random pledge: first 200 from a new reader p50 {P(coldInclusion, 50):F1} ms p99 {P(coldInclusion, 99):F1} ms; " +
        $"warm ({proofs:N0}) p50 {P(inclusion, 50):F2} ms p99 {P(inclusion, 99):F2} ms (target ≤ 50 ms)");
    Console.WriteLine($"consistency proofs, random sizes ≤ {total:N0}: first 200 from a new reader p50 {P(coldConsistency, 50):F1} ms p99 {P(coldConsistency, 99):F1} ms; " +
        $"warm ({proofs:N0}) p50 {P(consistency, 50):F2} ms p99 {P(consistency, 99):F2} ms (target ≤ 50 ms)");

    // A check that the figures are about a sound ledger: the root recomputed from the tiles equals the signed one.
    var root = await NewReader(out _).RootAtAsync(campaign, total, default);
    Console.WriteLine($"root at {total:N0} recomputed from storage equals the checkpoint: {Convert.ToBase64String(root) == checkpoint.RootHash}");
    return 0;
}
finally
{
    try { azurite?.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
}

static double P(double[] times, double percentile)
{
    var sorted = times.Order().ToArray();
    return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
}

static LedgerEntry Entry(int i) => new(
    $"bench{i:D8}", $"project-{i % 9}", new(100 + i % 50_000), new(i % 4 == 0 ? 100 + i % 5_000 : 0), i % 4 == 0 ? "aixin" : null,
    i % 10 == 0 ? Channels.Offline : Channels.Online, i % 7 == 0 ? null : "张*", new DateTimeOffset(2026, 5, 8, 0, 0, 0, TimeSpan.Zero).AddMilliseconds(i * 250L));

static async Task WritePledgesAsync(TableClient table, string campaign, IReadOnlyList<(LedgerEntry Entry, DateTimeOffset CountedAt)> pledges) =>
    await Parallel.ForEachAsync(pledges.Chunk(100), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (chunk, ct) =>
        await table.SubmitTransactionAsync(chunk.Select(p =>
        {
            var row = PledgeRows.ToRow(new Pledge(p.Entry.PledgeId, campaign, p.Entry.ProjectId, p.Entry.Amount, "hash" + p.Entry.PledgeId, p.Entry.MaskedName,
                "加油", p.Entry.Channel, p.Entry.AcceptedAt, "fp"));
            row["Counted"] = true; row["Matched"] = p.Entry.Matched.Fen; row["FundId"] = p.Entry.FundId; row["CountedAt"] = p.CountedAt;
            return new TableTransactionAction(TableTransactionActionType.Add, row);
        }).ToList(), ct));

static string StartAzurite(bool persist, out Process? process)
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "GivingDay.slnx"))) dir = dir.Parent;
    var bin = Path.Combine(dir?.FullName ?? ".", "tools", "azurite", "node_modules", ".bin", "azurite");
    if (!File.Exists(bin)) throw new InvalidOperationException("Azurite is not installed: run scripts/install-tools.sh");
    var ports = Enumerable.Range(0, 3).Select(_ => { var l = new TcpListener(IPAddress.Loopback, 0); l.Start(); return l; }).ToList();
    var (blob, queue, table) = (((IPEndPoint)ports[0].LocalEndpoint).Port, ((IPEndPoint)ports[1].LocalEndpoint).Port, ((IPEndPoint)ports[2].LocalEndpoint).Port);
    ports.ForEach(l => l.Stop());
    var data = Directory.CreateTempSubdirectory("givingday-ledgerbench-").FullName;
    process = Process.Start(new ProcessStartInfo(bin,
        $"--silent {(persist ? $"--location {data}" : "--inMemoryPersistence")} --disableTelemetry --skipApiVersionCheck --blobHost 127.0.0.1 --blobPort {blob} --queueHost 127.0.0.1 --queuePort {queue} --tableHost 127.0.0.1 --tablePort {table}")
    { RedirectStandardOutput = true, RedirectStandardError = true })!;
    process.BeginOutputReadLine(); process.BeginErrorReadLine();
    foreach (var port in new[] { blob, queue, table })
        for (var until = DateTime.UtcNow.AddSeconds(60); ; Thread.Sleep(100))
        {
            try { using var c = new TcpClient(); c.Connect(IPAddress.Loopback, port); break; }
            catch (SocketException) when (DateTime.UtcNow < until) { }
        }
    return "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        $"BlobEndpoint=http://127.0.0.1:{blob}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{queue}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{table}/devstoreaccount1;";
}

static Dictionary<string, string> Args(string[] args)
{
    var d = new Dictionary<string, string>();
    for (var i = 0; i < args.Length; i++)
        if (args[i].StartsWith("--", StringComparison.Ordinal))
            d[args[i][2..]] = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
    return d;
}
