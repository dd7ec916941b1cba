using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using GivingDay.Bench;
using GivingDay.Otlp;

// Drives pledge intake over HTTP against one or more running app instances (on one storage), waits until
// everything accepted is counted, checks the totals are exact, and prints the figures beside the physical limit
// of the storage measured in the same run. Not a test: figures vary with the machine.
// Usage: GivingDay.Bench --url URL[,URL...] --key ORGANISER_KEY [--storage CONNECTION_STRING]
//   [--concurrency 64] [--seconds 20] [--rate N] [--donors distinct|repeat|anonymous] [--no-fund] [--shards N]
//   [--no-limit] [--poll] [--otlp-port PORT] [--counters COMMAND] [--warmup 10]
// --counters COMMAND: the instances at --url take pledges with counting off; once intake stops the benchmark runs
// COMMAND (which starts the counting instances and returns when they answer) and measures how fast they drain the
// backlog: counting's own capacity, apart from intake's (scripts/bench.sh --scale-table).
// --otlp-port: the port the app instances export OTLP metrics to (OTEL_EXPORTER_OTLP_ENDPOINT, http/protobuf): the
// benchmark listens there and reads their storage calls (givingday.storage.calls) for the calls per pledge.
var options = Args(args);
var urls = options.GetValueOrDefault("url", "http://127.0.0.1:7071").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(u => new Uri(u)).ToList();
var key = options.GetValueOrDefault("key", "dev-organiser-key");
var concurrency = int.Parse(options.GetValueOrDefault("concurrency", "64"));
var seconds = double.Parse(options.GetValueOrDefault("seconds", "20"));
// --pledges N: intake stops once N pledges are accepted (or at --seconds): the same backlog whatever intake's speed.
var stopAfter = options.TryGetValue("pledges", out var pl) ? int.Parse(pl) : int.MaxValue;
// --rate N: pace the clients to N pledges/s in all (sustained load) instead of as fast as they can.
var rate = options.TryGetValue("rate", out var r) ? double.Parse(r) : 0;
var mix = options.GetValueOrDefault("donors", "distinct");
if (!Traffic.Mixes.Contains(mix)) { Console.Error.WriteLine($"--donors must be one of {string.Join(", ", Traffic.Mixes)}"); return 2; }
// A matching fund with caps is on unless --no-fund (--matching, the old switch, is the default now).
var fund = !options.ContainsKey("no-fund");
var pool = long.Parse(options.GetValueOrDefault("pool", "100000000"));
int? shards = options.TryGetValue("shards", out var s) ? int.Parse(s) : null;

var clients = urls.Select(u =>
{
    var h = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency * 2, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
    { BaseAddress = u, Timeout = TimeSpan.FromSeconds(60) };
    h.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
    return h;
}).ToList();
var http = clients[0];
await using var otlp = options.TryGetValue("otlp-port", out var otlpPort) ? await OtlpReceiver.StartAsync(int.Parse(otlpPort)) : null;
const string StorageCallsMetric = "givingday.storage.calls";

var campaign = $"bench-{DateTime.UtcNow:HHmmss}-{Random.Shared.Next(1000):000}";
string[] projects = ["zaochan", "weixinyuan", "songwanjia", "nongqing", "xiyifang"];
string[] projectNames = ["守护早产小天使", "红十字微心愿", "博爱送万家", "暖暖农情", "爱心洗衣坊助老"];
var definition = new Dictionary<string, object?>
{
    ["name"] = "基准测试 5·8 人道公益日", ["event"] = "5.8",
    ["startsAt"] = DateTimeOffset.UtcNow.AddHours(-1).ToString("o"), ["endsAt"] = DateTimeOffset.UtcNow.AddDays(1).ToString("o"),
    ["projects"] = projects.Select((p, i) => new { id = p, name = projectNames[i], goal = 100_000_000 }).ToArray(),
    ["matchingFunds"] = fund
        ? new object[] { new { id = "aixin", sponsor = "爱心企业", ratio = 1, pool, perPledgeCap = 5000, perDonorCap = 20000 } }
        : [],
};
if (shards is not null) definition["shards"] = shards;
var put = await PutCampaignAsync(campaign);
if (put is null) return 2;
// An app without counting shards ignores the setting: say so rather than print a figure under a false heading.
if (shards is not null && !(await put.Content.ReadFromJsonAsync<JsonElement>()).TryGetProperty("shards", out _))
{
    Console.WriteLine($"shards              this app has no 'shards' campaign setting: --shards {shards} changes nothing");
    shards = null;
}

// --poll: leaderboard pollers (as the live page polls, with If-None-Match) while a trickle of pledges arrives.
if (options.ContainsKey("poll"))
{
    var pollCallsBefore = await StorageCallsAsync();
    var polls = 0L; var notModified = 0L;
    var pollStop = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
    var trickle = Task.Run(async () =>
    {
        for (var i = 0; Stopwatch.GetTimestamp() < pollStop; i++)
        {
            await http.PostAsJsonAsync($"/api/campaigns/{campaign}/pledges", new { projectId = projects[i % projects.Length], amount = 1000 });
            await Task.Delay(100);
        }
    });
    var watch = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async c =>
    {
        string? etag = null;
        var client = clients[c % clients.Count];
        while (Stopwatch.GetTimestamp() < pollStop)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, $"/api/campaigns/{campaign}/leaderboard");
            if (etag is not null) request.Headers.TryAddWithoutValidation("If-None-Match", etag);
            using var response = await client.SendAsync(request);
            Interlocked.Increment(ref polls);
            if (response.StatusCode == HttpStatusCode.NotModified) Interlocked.Increment(ref notModified);
            else { etag = response.Headers.ETag?.ToString(); await response.Content.ReadAsByteArrayAsync(); }
        }
    }));
    var pollSeconds = watch.Elapsed.TotalSeconds;
    await trickle;
    var pollCalls = await StorageCallsAsync() - pollCallsBefore;
    Console.WriteLine($"leaderboard polls   {polls / pollSeconds:0} req/s from {concurrency} pollers, {100.0 * notModified / polls:0.0}% answered 304");
    Console.WriteLine($"storage calls       {pollCalls * 1000.0 / polls:0.0} per 1,000 polls (including the trickle of pledges being taken and counted)");
    return 0;
}

// --warmup S (default 10; 0 for none): the same traffic for S seconds on a campaign of its own before anything is measured,
// and until that campaign is counted. The apps and this benchmark are new processes: for their first seconds under load
// the JIT recompiles their hot code (on the 2-core machine a third of a core while a cold 20 s run lasted), which a host
// on a giving day has long done. Not with --counters (its counting instances start after intake) or --poll.
var warmup = options.ContainsKey("counters") ? 0 : double.Parse(options.GetValueOrDefault("warmup", "10"));
if (warmup > 0)
{
    var warm = campaign + "-warmup";
    if (await PutCampaignAsync(warm) is null) return 2;
    var taken = new ConcurrentBag<Taken>();
    var (warmSeconds, _) = await LoadAsync(warm, warmup, int.MaxValue, new Traffic(mix, Random.Shared.Next(1000, 2000)), taken);
    var waited = Stopwatch.StartNew();
    long warmCounted;
    while ((warmCounted = (await http.GetFromJsonAsync<JsonElement>($"/api/campaigns/{warm}/leaderboard")).GetProperty("totals").GetProperty("pledges").GetInt64()) < taken.Count
        && waited.Elapsed < TimeSpan.FromMinutes(2))
        await Task.Delay(100);
    Console.WriteLine($"warm-up             {taken.Count} pledges in {warmSeconds:0.0} s on {warm}, {warmCounted} counted {waited.Elapsed.TotalSeconds:0.0} s later (not in the figures below)");
}

// The physical limit first, while the app is idle: Azurite alone, for 100-entity transactions and queue messages.
StorageLimit.Figures? limit = null;
if (options.TryGetValue("storage", out var storage) && !options.ContainsKey("no-limit"))
    limit = await StorageLimit.MeasureAsync(storage, TimeSpan.FromSeconds(3));

var callsBefore = await StorageCallsAsync();
var traffic = new Traffic(mix, Random.Shared.Next(1, 1000));
Console.WriteLine($"campaign {campaign}: {concurrency} clients for {seconds} s{(rate > 0 ? $" at {rate} pledges/s" : " at full speed")} on {urls.Count} instance(s)"
    + $"{(shards is not null ? $", {shards} shard(s)" : "")}");
Console.WriteLine($"traffic             donors {mix}, Chinese names and messages, 5 projects, "
    + (fund ? $"fund aixin 1:1 pool {pool} fen, caps ¥50 a pledge and ¥200 a donor, velocity rule on" : "no matching fund"));
var accepted = new ConcurrentBag<Taken>();
var clock = Stopwatch.StartNew();
var (intakeSeconds, refused) = await LoadAsync(campaign, seconds, stopAfter, traffic, accepted);

if (options.TryGetValue("counters", out var countersCommand))
{
    using var start = Process.Start(new ProcessStartInfo("bash", ["-c", countersCommand]))!;
    await start.WaitForExitAsync();
    if (start.ExitCode != 0) { Console.Error.WriteLine($"--counters: '{countersCommand}' exited with {start.ExitCode}"); return 2; }
}

// Wait until every accepted pledge is counted (as the leaderboard shows it), noting when counting was first and last
// seen to move (the drain rate, with --counters).
JsonElement board;
(double At, long Counted, (long Busy, long All)? Cpu)? firstMove = null, lastMove = null, before = null;
long seen = -1;
while (true)
{
    board = await http.GetFromJsonAsync<JsonElement>($"/api/campaigns/{campaign}/leaderboard");
    var now = board.GetProperty("totals").GetProperty("pledges").GetInt64();
    var looked = (At: clock.Elapsed.TotalSeconds, Counted: now, Cpu: MachineCpu());
    if (seen >= 0 && now > seen) { firstMove ??= before; lastMove = looked; }
    seen = now;
    before = looked;
    if (now >= accepted.Count || clock.Elapsed > TimeSpan.FromSeconds(seconds) + TimeSpan.FromMinutes(5)) break;
    await Task.Delay(100);
}
var countedSeconds = clock.Elapsed.TotalSeconds;
var callsAfter = await StorageCallsAsync();

// Pledge → counted, from the server's own times, for a sample of pledges.
var sample = accepted.OrderBy(_ => Random.Shared.Next()).Take(1000).ToList();
var visibleAt = new ConcurrentBag<(DateTimeOffset AcceptedAt, double Ms)>();
await Parallel.ForEachAsync(sample, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (p, ct) =>
{
    var st = await http.GetFromJsonAsync<JsonElement>($"/api/campaigns/{campaign}/pledges/{p.Id}", ct);
    if (st.GetProperty("countedAt").ValueKind == JsonValueKind.String)
        visibleAt.Add((st.GetProperty("acceptedAt").GetDateTimeOffset(),
            (st.GetProperty("countedAt").GetDateTimeOffset() - st.GetProperty("acceptedAt").GetDateTimeOffset()).TotalMilliseconds));
});

var totals = board.GetProperty("totals");
var expectedDonors = accepted.Where(a => a.Contact is not null).Select(a => a.Contact).Distinct().LongCount() + accepted.LongCount(a => a.Contact is null);
var projectsExact = board.GetProperty("projects").EnumerateArray().All(p =>
    p.GetProperty("raised").GetInt64() == accepted.Where(a => a.ProjectId == p.GetProperty("projectId").GetString()).Sum(a => a.Amount)
    && p.GetProperty("pledges").GetInt64() == accepted.Count(a => a.ProjectId == p.GetProperty("projectId").GetString()));
var exact = totals.GetProperty("pledges").GetInt64() == accepted.Count && totals.GetProperty("raised").GetInt64() == accepted.Sum(a => a.Amount)
    && totals.GetProperty("donors").GetInt64() == expectedDonors && projectsExact;
var latencies = accepted.Select(a => a.Ms).Order().ToList();
var visibleSorted = visibleAt.Select(v => v.Ms).Order().ToList();
var countedPerSecond = totals.GetProperty("pledges").GetInt64() / countedSeconds;
Console.WriteLine($"accepted            {accepted.Count} pledges in {intakeSeconds:0.0} s = {accepted.Count / intakeSeconds:0} pledges/s (refused {refused}); "
    + $"{100.0 * expectedDonors / Math.Max(1, accepted.Count):0}% distinct donors ({expectedDonors})");
Console.WriteLine($"counted end to end  {countedPerSecond:0} pledges/s (the last counted {countedSeconds - intakeSeconds:0.0} s after intake stopped)");
if (countersCommand is not null && firstMove is { } first && lastMove is { } last && last.At > first.At)
    Console.WriteLine($"counted (drain)     {(last.Counted - first.Counted) / (last.At - first.At):0} pledges/s: {last.Counted - first.Counted} of a backlog of {accepted.Count} "
        + $"in {last.At - first.At:0.0} s, from the first to the last counted seen (counting instances started after intake)"
        + (first.Cpu is { } c0 && last.Cpu is { } c1 && c1.All > c0.All
            ? $"; the machine's CPU {100.0 * (c1.Busy - c0.Busy) / (c1.All - c0.All):0}% busy meanwhile ({Environment.ProcessorCount} cores, every process)" : ""));
Console.WriteLine($"intake latency      p50 {P(latencies, 50):0} ms, p99 {P(latencies, 99):0} ms");
Console.WriteLine($"pledge -> counted   p50 {P(visibleSorted, 50):0} ms, p99 {P(visibleSorted, 99):0} ms (server clock, sample of {visibleSorted.Count}; the leaderboard shows it at most 0.5 s later)");
if (visibleAt.Count > 0)
{
    // Where in the run the slow ones were: the worst of each ten seconds of intake (a tail that grows through the
    // run comes from storage growing, one that comes and goes from stalls).
    var start = visibleAt.Min(v => v.AcceptedAt);
    var worst = visibleAt.GroupBy(v => (int)((v.AcceptedAt - start).TotalSeconds / 10)).OrderBy(g => g.Key)
        .Select(g => $"{g.Key * 10}s {g.Max(v => v.Ms):0}");
    Console.WriteLine($"slowest by 10 s     {string.Join(", ", worst)} (ms, by acceptance time)");
}
if (callsBefore >= 0 && callsAfter >= 0)
    Console.WriteLine($"storage calls       {(callsAfter - callsBefore) / (double)Math.Max(1, accepted.Count):0.00} per pledge (intake + counting, all instances)");
Console.WriteLine($"matched             {totals.GetProperty("matched").GetInt64()} fen");
Console.WriteLine($"totals exact        {(exact ? "yes" : "NO")}: raised {totals.GetProperty("raised").GetInt64()} fen over {totals.GetProperty("pledges").GetInt64()} pledges, "
    + $"{totals.GetProperty("donors").GetInt64()} donors (expected {accepted.Sum(a => a.Amount)} fen, {accepted.Count} pledges, {expectedDonors} donors; per project {(projectsExact ? "exact" : "NOT exact")})");
if (limit is not null)
{
    // What a pledge needs from storage, at the least, in this design: intake adds its row (and a velocity activity
    // row while a fund can match, for donors with a contact); counting merges its match into the row and writes the
    // donor's row (donors with a contact); one outbox marker (added, then deleted) and one queue message serve a
    // batch of up to 48 pledges.
    const double pledgesPerMessage = 48;
    var withContact = accepted.Count(a => a.Contact is not null) / (double)Math.Max(1, accepted.Count);
    var entities = 2 + withContact + (fund ? withContact : 0) + 2.0 / pledgesPerMessage;

    var secondsPerPledge = entities / limit.EntitiesPerSecond + (1 / limit.QueueSendsPerSecond + 1 / limit.QueueReceiveDeletesPerSecond) / pledgesPerMessage;
    var pledgeLimit = 1 / secondsPerPledge;
    Console.WriteLine($"storage limit       {limit.EntitiesPerSecond:0} entities/s in 100-entity transactions, {limit.QueueSendsPerSecond:0} queue sends/s, "
        + $"{limit.QueueReceiveDeletesPerSecond:0} queue receives+deletes/s (measured in this run, nothing else running)");
    Console.WriteLine($"                    a pledge needs {entities:0.00} entities + 1/{pledgesPerMessage:0} queue message: the storage allows {pledgeLimit:0} pledges/s");
    Console.WriteLine($"fraction of limit   counted end to end = {100 * countedPerSecond / pledgeLimit:0}% of what the storage allows");
}
return exact ? 0 : 1;

// Creates the campaign with the benchmark's definition; null (and the reason on stderr) when the app refused it.
async Task<HttpResponseMessage?> PutCampaignAsync(string campaignId)
{
    var response = await http.PutAsJsonAsync($"/api/organiser/campaigns/{campaignId}", definition);
    if (response.IsSuccessStatusCode) return response;
    Console.Error.WriteLine($"PUT campaign: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    return null;
}

// The clients: pledges to CAMPAIGN_ID for SECONDS (or until UNTIL are accepted), at --rate or full speed; returns how long
// intake took and how many were refused.
async Task<(double Seconds, int Refused)> LoadAsync(string campaignId, double forSeconds, int until, Traffic gifts, ConcurrentBag<Taken> taken)
{
    var refusedHere = 0;
    var stopAt = Stopwatch.GetTimestamp() + (long)(forSeconds * Stopwatch.Frequency);
    var started = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async client =>
    {
        var random = new Random(client * 7919 + Environment.TickCount);
        var target = clients[client % clients.Count];
        var n = 0;
        var interval = rate > 0 ? concurrency / rate : 0; // seconds between this client's pledges
        var due = Stopwatch.GetTimestamp() + (long)(random.NextDouble() * interval * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < stopAt && taken.Count < until)
        {
            if (rate > 0)
            {
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.Zero) await Task.Delay(wait);
                due += (long)(interval * Stopwatch.Frequency);
            }
            var project = projects[random.Next(projects.Length)];
            var gift = gifts.Next(random, project);
            var request = new HttpRequestMessage(HttpMethod.Post, $"/api/campaigns/{campaignId}/pledges") { Content = JsonContent.Create(gift.Body) };
            request.Headers.Add("Idempotency-Key", $"c{client}-{n++}");
            var sent = Stopwatch.GetTimestamp();
            try
            {
                using var response = await target.SendAsync(request);
                var ms = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                if (response.StatusCode == HttpStatusCode.Accepted)
                    taken.Add(new((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("pledgeId").GetString()!, project, gift.Amount, gift.Contact, ms));
                else Interlocked.Increment(ref refusedHere);
            }
            catch (HttpRequestException) { Interlocked.Increment(ref refusedHere); }
        }
    }));
    return (started.Elapsed.TotalSeconds, refusedHere);
}

async Task<long> StorageCallsAsync()
{
    if (otlp is null) return -1;
    // Each instance exports its running count every OTEL_METRIC_EXPORT_INTERVAL (bench.sh: 1 s): wait until every
    // instance has exported it once, then for an export taken after now.
    for (var i = 0; i < 300 && otlp.Exporters(StorageCallsMetric) < urls.Count; i++) await Task.Delay(100);
    if (otlp.Exporters(StorageCallsMetric) < urls.Count) return -1;
    await Task.Delay(TimeSpan.FromSeconds(2.5));
    return otlp.CounterTotal(StorageCallsMetric);
}

static double P(List<double> sorted, int percentile) =>
    sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];

static Dictionary<string, string> Args(string[] args)
{
    var d = new Dictionary<string, string>();
    for (var i = 0; i < args.Length; i++)
        if (args[i].StartsWith("--")) d[args[i][2..]] = i + 1 < args.Length && !args[i + 1].StartsWith("--") ? args[++i] : "true";
    return d;
}

// The whole machine's CPU time so far (Linux /proc/stat, in ticks): busy (all but idle and iowait) and all; null elsewhere.
static (long Busy, long All)? MachineCpu()
{
    try
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
        var all = fields.Take(8).Sum();
        return (all - fields[3] - fields[4], all);
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException) { return null; }
}

record Taken(string Id, string ProjectId, long Amount, string? Contact, double Ms);
