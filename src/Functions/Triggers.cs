using GivingDay.Storage;

namespace GivingDay.Functions;

/// <summary>The names the trigger attributes use, in one place: the function classes' attributes and the standalone
/// host's WebJobs adapters both read these constants, so a queue or a schedule is named once.</summary>
public static class Triggers
{
    public const string Connection = StorageAccount.Setting;

    public const string PledgeQueue = StorageNames.PledgeQueue;
    public const string CloseQueue = StorageNames.CloseQueue;

    public const string SnapshotSchedule = "SnapshotSchedule";
    public const string RedriveSchedule = "RedriveSchedule";

    /// <summary>The schedules' defaults (6-field NCRONTAB, UTC). App settings of the same name override them; in Azure
    /// the deployment sets them.</summary>
    public static readonly IReadOnlyDictionary<string, string> DefaultSchedules = new Dictionary<string, string>
    {
        [SnapshotSchedule] = "0 * * * * *",
        [RedriveSchedule] = "*/15 * * * * *",
    };
}
