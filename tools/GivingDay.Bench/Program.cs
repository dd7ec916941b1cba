using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

// Drives pledge intake over HTTP against a running app, waits until everything accepted is counted,
// checks the totals are exact, and prints the figures. Not a test: figures vary with the machine.
// Usage: GivingDay.Bench --url http://127.0.0.1:7071 --key ORGANISER_KEY [--concurrency 64] [--seconds 20] [--rate N] [--matching] [--poll]
var options = Args(args);
var url = new Uri(options.GetValueOrDefault("url", "http://127.0.0.1:7071"));
var key = options.GetValueOrDefault("key", "dev-organiser-key");
var concurrency = int.Parse(options.GetValueOrDefault("concurrency", "64"));
var seconds = double.Parse(options.GetValueOrDefault("seconds", "20"));
var matching = options.ContainsKey("matching");
// --rate N: pace the clients to N pledges/s in all (sustained load) instead of as fast as they can.
var rate = options.TryGetValue("rate", out var r) ? double.Parse(r) : 0;

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency * 2, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
{ BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

var campaign = $"bench-{DateTime.UtcNow:HHmmss}-{Random.Shared.Next(1000):000}";
string[] projects = ["zaochan", "weixinyuan", "songwanjia", "nongqing", "xiyifang"];
var definition = new
{
    name = "基准测试 5·8 人道公益日", @event = "5.8",
    startsAt = DateTimeOffset.UtcNow.AddHours(-1).ToString("o"), endsAt = DateTimeOffset.UtcNow.AddDays(1).ToString("o"),
    projects = projects.Select(p => new { id = p, name = p, goal = 100_000_000 }).ToArray(),
    matchingFunds = matching
        ? new object[] { new { id = "aixin", sponsor = "爱心企业", ratio = 1, pool = 10_000_000, perPledgeCap = 5000, perDonorCap = 20000 } }
        : [],
};
(await http.PutAsJsonAsync($"/api/organiser/campaigns/{campaign}", definition)).EnsureSuccessStatusCode();
var callsBefore = await StorageCallsAsync();

// --poll: leaderboard pollers (as the live page polls, with If-None-Match) while a trickle of pledges arrives.
if (options.ContainsKey("poll"))
{
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
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
    {
        string? etag = null;
        while (Stopwatch.GetTimestamp() < pollStop)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, $"/api/campaigns/{campaign}/leaderboard");
            if (etag is not null) request.Headers.TryAddWithoutValidation("If-None-Match", etag);
            using var response = await http.SendAsync(request);
            Interlocked.Increment(ref polls);
            if (response.StatusCode == HttpStatusCode.NotModified) Interlocked.Increment(ref notModified);
            else { etag = response.Headers.ETag?.ToString(); await response.Content.ReadAsByteArrayAsync(); }
        }
    }));
    var pollSeconds = watch.Elapsed.TotalSeconds;
    await trickle;
    var pollCalls = await StorageCallsAsync() - callsBefore;
    Console.WriteLine($"leaderboard polls   {polls / pollSeconds:0} req/s from {concurrency} pollers, {100.0 * notModified / polls:0.0}% answered 304");
    Console.WriteLine($"storage calls       {pollCalls * 1000.0 / polls:0.0} per 1,000 polls (including the trickle of pledges being taken and counted)");
    return 0;
}

Console.WriteLine($"campaign {campaign}: {concurrency} clients for {seconds} s{(rate > 0 ? $" at {rate} pledges/s" : "")}{(matching ? ", matching fund active" : "")}");
var accepted = new ConcurrentBag<(string Id, long Amount, double Ms)>();
var refused = 0;
var stopAt = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
var clock = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async client =>
{
    var random = new Random(client);
    var n = 0;
    var interval = rate > 0 ? concurrency / rate : 0; // seconds between this client's pledges
    var due = Stopwatch.GetTimestamp() + (long)(random.NextDouble() * interval * Stopwatch.Frequency);
    while (Stopwatch.GetTimestamp() < stopAt)
    {
        if (rate > 0)
        {
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
            due += (long)(interval * Stopwatch.Frequency);
        }
        var amount = random.Next(1, 200) * 100L;
        var body = new { projectId = projects[random.Next(projects.Length)], amount, donor = new { name = "王小明", contact = $"139{client:0000}{random.Next(0, 50):0000}" } };
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/campaigns/{campaign}/pledges") { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", $"c{client}-{n++}");
        var started = Stopwatch.GetTimestamp();
        using var response = await http.SendAsync(request);
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (response.StatusCode == HttpStatusCode.Accepted)
            accepted.Add(((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("pledgeId").GetString()!, amount, ms));
        else Interlocked.Increment(ref refused);
    }
}));
var intakeSeconds = clock.Elapsed.TotalSeconds;

// Wait until every accepted pledge is counted.
JsonElement board;
var waitStarted = Stopwatch.StartNew();
while (true)
{
    board = await http.GetFromJsonAsync<JsonElement>($"/api/campaigns/{campaign}/leaderboard");
    if (board.GetProperty("totals").GetProperty("pledges").GetInt64() >= accepted.Count || waitStarted.Elapsed > TimeSpan.FromMinutes(5)) break;
    await Task.Delay(200);
}
var callsAfter = await StorageCallsAsync();

// Pledge → counted, from the server's own times, for a sample of pledges.
var sample = accepted.OrderBy(_ => Random.Shared.Next()).Take(1000).ToList();
var visible = new ConcurrentBag<double>();
await Parallel.ForEachAsync(sample, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (p, ct) =>
{
    var s = await http.GetFromJsonAsync<JsonElement>($"/api/campaigns/{campaign}/pledges/{p.Id}", ct);
    if (s.GetProperty("countedAt").ValueKind == JsonValueKind.String)
        visible.Add((s.GetProperty("countedAt").GetDateTimeOffset() - s.GetProperty("acceptedAt").GetDateTimeOffset()).TotalMilliseconds);
});

var totals = board.GetProperty("totals");
var exact = totals.GetProperty("pledges").GetInt64() == accepted.Count && totals.GetProperty("raised").GetInt64() == accepted.Sum(a => a.Amount);
var latencies = accepted.Select(a => a.Ms).Order().ToList();
var visibleSorted = visible.Order().ToList();
Console.WriteLine($"accepted            {accepted.Count} pledges in {intakeSeconds:0.0} s = {accepted.Count / intakeSeconds:0} pledges/s (refused {refused})");
Console.WriteLine($"intake latency      p50 {P(latencies, 50):0} ms, p99 {P(latencies, 99):0} ms");
Console.WriteLine($"pledge -> counted   p50 {P(visibleSorted, 50):0} ms, p99 {P(visibleSorted, 99):0} ms (sample of {visibleSorted.Count})");
if (callsBefore >= 0 && callsAfter >= 0)
    Console.WriteLine($"storage calls       {(callsAfter - callsBefore) / (double)Math.Max(1, accepted.Count):0.00} per pledge (intake + counting, this instance)");
Console.WriteLine($"matched             {totals.GetProperty("matched").GetInt64()} fen");
Console.WriteLine($"totals exact        {(exact ? "yes" : "NO")}: raised {totals.GetProperty("raised").GetInt64()} fen over {totals.GetProperty("pledges").GetInt64()} pledges");
return exact ? 0 : 1;

async Task<long> StorageCallsAsync()
{
    try { return (await http.GetFromJsonAsync<JsonElement>("/api/organiser/metrics")).GetProperty("storageCalls").GetInt64(); }
    catch (HttpRequestException) { return -1; }
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
