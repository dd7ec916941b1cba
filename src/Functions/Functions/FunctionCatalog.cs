using GivingDay.Functions.Hosting;

namespace GivingDay.Functions.Functions;

/// <summary>Every queue and timer function of the app, declared once. HTTP functions are the named /api endpoints.</summary>
public static class FunctionCatalog
{
    public static readonly IReadOnlyList<FunctionDeclaration> All =
    [
        CountPledges.Declaration,
        RedrivePledges.Declaration,
        SnapshotProgress.Declaration,
        FinalizeCampaign.Declaration,
    ];
}
