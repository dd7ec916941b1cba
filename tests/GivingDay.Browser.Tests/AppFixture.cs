using GivingDay.Tests.Infrastructure;

namespace GivingDay.Browser.Tests;

/// <summary>One app (on Azurite) per test class, with the snapshot timer ticking every second so the public ledger and
/// the final snapshot come quickly, and no grace before a final snapshot (no test closes a campaign with a gift in
/// flight). Each test makes its own campaigns in it.</summary>
public sealed class AppFixture() : SharedApp(new() { ["SnapshotSchedule"] = "*/1 * * * * *", ["FinalSnapshot:GraceSeconds"] = "0" });
