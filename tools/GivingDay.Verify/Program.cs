using System.Text.Json;
using GivingDay.Verify;

// givingday-verify <baseUrl> <campaignId> [--state FILE] [--pledge PLEDGE_ID]
// Verifies a campaign's public ledger through its public routes, remembers the checkpoints it has verified in the
// state file (default ./givingday-verify-<campaignId>.json), and prints which check failed, if one did.
if (args.Length < 2 || args.Contains("--help"))
{
    Console.Error.WriteLine("usage: givingday-verify <baseUrl> <campaignId> [--state FILE] [--pledge PLEDGE_ID]");
    return 2;
}
var baseUrl = args[0].TrimEnd('/') + "/";
var campaignId = args[1];
string? Option(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
var statePath = Option("--state") ?? $"givingday-verify-{campaignId}.json";
var pledgeId = Option("--pledge");
var json = new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true };

var seen = File.Exists(statePath) ? JsonSerializer.Deserialize<List<SeenCheckpoint>>(File.ReadAllText(statePath), json) ?? [] : [];
using var http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(60) };
VerificationReport report;
try
{
    report = await new LedgerVerifier(http).VerifyAsync(campaignId, seen, pledgeId, CancellationToken.None);
}
catch (HttpRequestException e)
{
    Console.Error.WriteLine($"could not reach {baseUrl}: {e.Message}");
    return 2;
}
foreach (var check in report.Checks)
    Console.WriteLine($"{(check.Passed ? "ok  " : "FAIL")}  {check.Name}: {check.Detail}");
if (report.Verified && report.Latest is { } latest)
{
    File.WriteAllText(statePath, JsonSerializer.Serialize(seen.Append(latest).DistinctBy(s => (s.CampaignId, s.TreeSize)).OrderBy(s => s.TreeSize).ToList(), json));
    Console.WriteLine($"VERIFIED: {campaignId} has {latest.TreeSize} entries, root {latest.RootHash}, signed {latest.Timestamp} by key {latest.KeyId}; " +
        $"consistent with {seen.Count(s => s.CampaignId == campaignId)} checkpoint(s) seen before (kept in {statePath}).");
    return 0;
}
var failed = report.FirstFailure;
Console.WriteLine($"NOT VERIFIED: check \"{failed?.Name}\" failed: {failed?.Detail}");
return 1;
