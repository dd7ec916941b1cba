using System.Diagnostics;
using Azure.Data.Tables;
using GivingDay.Ledger;
using GivingDay.Tests.Infrastructure;
using static GivingDay.Tests.Ledger.LedgerTestKit;

namespace GivingDay.Tests.Ledger;

/// <summary>The command-line verifier (tools/GivingDay.Verify, built with the solution), run as a process against
/// the public routes: it verifies a sound ledger, keeps what it saw, and names the check that fails.</summary>
public class VerifierTests
{
    internal static async Task<(int Exit, string Output)> VerifyAsync(Uri baseAddress, string campaignId, string state, string? pledgeId = null)
    {
        var root = Azurite.RepoRoot();
        var dll = new[] { "Release", "Debug" }.Select(c => Path.Combine(root, "tools", "GivingDay.Verify", "bin", c, "net10.0", "givingday-verify.dll"))
            .Where(File.Exists).OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault()
            ?? throw new InvalidOperationException("build the solution first: tools/GivingDay.Verify is not built");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { dll, baseAddress.ToString(), campaignId, "--state", state }.Concat(pledgeId is null ? [] : ["--pledge", pledgeId]))
            psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await output + await error);
    }

    [Fact]
    public async Task Verifier_verifies_a_sound_ledger_and_its_consistency_with_checkpoints_it_saw_before()
    {
        var ledger = new LedgerInstance(Azurite.UniquePrefix());
        const string campaign = "verify-ok";
        var state = Path.Combine(Directory.CreateTempSubdirectory("givingday-verify-").FullName, "seen.json");

        await ledger.Sequencer.AppendAsync(campaign, Pending(0, 300), default);
        await ledger.CheckpointAsync(campaign);
        await using var host = await LedgerRouteHost.StartAsync(ledger);
        var first = await VerifyAsync(host.BaseAddress, campaign, state, Entry(123).PledgeId);
        Assert.True(first.Exit == 0, first.Output);
        Assert.Contains("VERIFIED", first.Output);
        Assert.Contains($"inclusion {Entry(123).PledgeId}", first.Output);

        await ledger.Sequencer.AppendAsync(campaign, Pending(300, 77), default);
        await ledger.CheckpointAsync(campaign);
        // A second instance (the reader keeps the latest checkpoint for a second).
        await using var later = await LedgerRouteHost.StartAsync(new LedgerInstance(ledger.Account.Names.Prefix));
        var second = await VerifyAsync(later.BaseAddress, campaign, state);
        Assert.True(second.Exit == 0, second.Output);
        Assert.Contains("consistency 300→377", second.Output);
        Assert.Contains("history 300", second.Output);
    }

    [Fact]
    public async Task Verifier_names_the_failed_check_when_an_entry_was_altered_in_storage()
    {
        var ledger = new LedgerInstance(Azurite.UniquePrefix());
        const string campaign = "verify-tampered";
        await ledger.Sequencer.AppendAsync(campaign, Pending(0, 130), default);
        await ledger.CheckpointAsync(campaign);
        var row = (await ledger.Store.Table.GetEntityAsync<TableEntity>(campaign, LedgerRows.EntryTile(1))).Value;
        row[LedgerRows.EntryProperty(2)] = (Entry(66) with { Amount = new(1) }).CanonicalJson();
        await ledger.Store.Table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Merge);

        await using var host = await LedgerRouteHost.StartAsync(ledger);
        var state = Path.Combine(Directory.CreateTempSubdirectory("givingday-verify-").FullName, "seen.json");
        var result = await VerifyAsync(host.BaseAddress, campaign, state);
        Assert.Equal(1, result.Exit);
        Assert.Contains("NOT VERIFIED: check \"root\" failed", result.Output);
        Assert.False(File.Exists(state));
    }

    [Fact]
    public async Task Verifier_names_the_entry_whose_stored_text_is_not_canonical()
    {
        var ledger = new LedgerInstance(Azurite.UniquePrefix());
        const string campaign = "verify-reformatted";
        await ledger.Sequencer.AppendAsync(campaign, Pending(0, 70), default);
        await ledger.CheckpointAsync(campaign);
        var row = (await ledger.Store.Table.GetEntityAsync<TableEntity>(campaign, LedgerRows.EntryTile(0))).Value;
        row[LedgerRows.EntryProperty(9)] = Entry(9).CanonicalJson().Replace(",\"amount\":", ", \"amount\": ");
        await ledger.Store.Table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Merge);

        await using var host = await LedgerRouteHost.StartAsync(ledger);
        var state = Path.Combine(Directory.CreateTempSubdirectory("givingday-verify-").FullName, "seen.json");
        var result = await VerifyAsync(host.BaseAddress, campaign, state);
        Assert.Equal(1, result.Exit);
        Assert.Contains("NOT VERIFIED: check \"entry 9 leaf hash\" failed", result.Output);
    }

    [Fact]
    public async Task Verifier_catches_a_history_rewritten_and_re_signed_with_the_real_key()
    {
        var ledger = new LedgerInstance(Azurite.UniquePrefix());
        const string campaign = "verify-rewritten";
        await ledger.Sequencer.AppendAsync(campaign, Pending(0, 200), default);
        await ledger.CheckpointAsync(campaign);
        await using var host = await LedgerRouteHost.StartAsync(ledger);
        var state = Path.Combine(Directory.CreateTempSubdirectory("givingday-verify-").FullName, "seen.json");

        // What a donor saw at size 150 was a ledger whose first 150 entries differ (a gift since removed), signed
        // with the same key: the operator cannot make today's ledger agree with it.
        var other = Reference(Enumerable.Range(0, 150).Select(i => (i == 7 ? Entry(7) with { Amount = new(88_800) } : Entry(i)).CanonicalJson()));
        var forged = await ledger.Signer.SignAsync(campaign, 150, other.Root(150), default);
        await File.WriteAllTextAsync(state, System.Text.Json.JsonSerializer.Serialize(new[] { forged }, GivingDay.Json.GivingDayJson.Options));
        var rewritten = await VerifyAsync(host.BaseAddress, campaign, state);
        Assert.Equal(1, rewritten.Exit);
        Assert.Contains("NOT VERIFIED: check \"history 150\" failed", rewritten.Output);

        // A checkpoint seen before that is larger than today's: the ledger shrank.
        var larger = await ledger.Signer.SignAsync(campaign, 500, other.Root(150), default);
        await File.WriteAllTextAsync(state, System.Text.Json.JsonSerializer.Serialize(new[] { larger }, GivingDay.Json.GivingDayJson.Options));
        var shrunk = await VerifyAsync(host.BaseAddress, campaign, state);
        Assert.Equal(1, shrunk.Exit);
        Assert.Contains("NOT VERIFIED: check \"checkpoint 500\" failed", shrunk.Output);
    }
}
