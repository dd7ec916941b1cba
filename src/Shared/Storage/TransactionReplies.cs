namespace GivingDay.Storage;

/// <summary>Azurite answers some failed table transactions (a precondition or conflict inside a changeset) with
/// a multipart reply the SDK cannot parse, and the SDK then throws InvalidOperationException instead of
/// TableTransactionFailedException. Such a reply means the transaction did not commit; callers that re-read
/// before deciding again (counting, intake) treat it as a lost race.</summary>
public static class TransactionReplies
{
    public static bool IsUnreadableFailure(Exception e) =>
        e is InvalidOperationException && e.Message.Contains("changesetresponse", StringComparison.OrdinalIgnoreCase);
}
